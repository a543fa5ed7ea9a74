"""Build declaration for the compiled modules; all metadata lives in pyproject.toml.

Switches (environment variables, for development builds):

- ``FASTJWT_ANNOTATE=1``: Cython also writes ``src/fastjwt/<module>.html``,
  the annotated source (yellow lines call into Python).
- ``FASTJWT_DEBUG=1``: line tracing (``linetrace`` directive and
  ``CYTHON_TRACE_NOGIL``) for coverage and profilers, built ``-O0 -g`` for
  debuggers. Much slower: never for benchmarks or releases. Its C goes to
  ``build/cython-debug``; go back with ``build_ext --inplace --force``.
"""

import os

from Cython.Build import cythonize
from setuptools import Extension, setup


def _switch(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0")


DEBUG = _switch("FASTJWT_DEBUG")
ANNOTATE = _switch("FASTJWT_ANNOTATE")

directives = {
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "embedsignature": True,
}
compile_args = ["-O3"]
macros = []
if DEBUG:
    directives["linetrace"] = True
    compile_args = ["-O0", "-g"]
    macros = [("CYTHON_TRACE_NOGIL", "1")]  # implies CYTHON_TRACE

extensions = [
    Extension(f"fastjwt.{name.replace('/', '.')}", [f"src/fastjwt/{name}.pyx"], extra_compile_args=compile_args,
              define_macros=macros)
    for name in ("_core", "_rules", "_cache", "_pipeline", "_memo", "grpc/_hot")
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        annotate=ANNOTATE,
        force=ANNOTATE,  # the HTML is written only when the C is generated
        # Traced C lives apart, so it never stands in for the optimised build's.
        build_dir="build/cython-debug" if DEBUG else None,
        compiler_directives=directives,
    ),
)
