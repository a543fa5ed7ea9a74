"""Build declaration for the compiled modules; all metadata lives in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(f"fastjwt.{name}", [f"src/fastjwt/{name}.pyx"], extra_compile_args=["-O3"])
    for name in ("_core", "_rules", "_cache", "_pipeline", "_memo")
]

setup(
    ext_modules=cythonize(
        extensions,
        language_level=3,
        compiler_directives={
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
            "embedsignature": True,
        },
    ),
)
