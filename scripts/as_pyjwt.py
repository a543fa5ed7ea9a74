"""Run a command with ``import jwt`` resolving to fastjwt (PyJWT's users, unchanged).

``python scripts/as_pyjwt.py [--shim-dir DIR] -- COMMAND [ARG ...]``

Writes a ``jwt`` package into a directory (a temporary one unless
``--shim-dir`` is given) and runs COMMAND with that directory first on
``PYTHONPATH``, so it wins over an installed PyJWT. The package's
``__init__`` puts fastjwt itself in ``sys.modules["jwt"]`` and each of
PyJWT 2.15.1's submodules (``jwt.api_jws``, ``jwt.exceptions``, ...) as
fastjwt's module of the same name: one module object per name, so
``jwt.exceptions.InvalidTokenError is fastjwt.InvalidTokenError``. The
command's Python must have fastjwt installed (``pip install`` this checkout
into a throwaway virtualenv). Used to run the test suites of projects built
on PyJWT (flask-jwt-extended, djangorestframework-simplejwt,
social-auth-core) against fastjwt; see README's "Drop-in" section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

#: PyJWT 2.15.1's submodules (shared/reference/pyjwt-api.md).
SUBMODULES = (
    "algorithms",
    "api_jwk",
    "api_jws",
    "api_jwt",
    "exceptions",
    "help",
    "jwk_set_cache",
    "jwks_client",
    "types",
    "utils",
    "warnings",
)

SHIM = '''"""``import jwt`` resolving to fastjwt (written by fastjwt's scripts/as_pyjwt.py)."""
import importlib
import sys

import fastjwt

for _name in {submodules!r}:
    sys.modules["jwt." + _name] = importlib.import_module("fastjwt." + _name)
sys.modules["jwt"] = fastjwt  # what `import jwt` returns
'''


def write_shim(directory: Path) -> Path:
    """Write the ``jwt`` package into ``directory``; return the package's path."""
    package = directory / "jwt"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(SHIM.format(submodules=SUBMODULES), encoding="utf-8")
    return package


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Run a command with `import jwt` resolving to fastjwt.")
    parser.add_argument("--shim-dir", type=Path, help="where to write the jwt package (default: a temporary dir)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to run (after --)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")
    with tempfile.TemporaryDirectory(prefix="as-pyjwt-") as temporary:
        directory = args.shim_dir if args.shim_dir is not None else Path(temporary)
        write_shim(directory)
        path = os.environ.get("PYTHONPATH")
        env = dict(os.environ, PYTHONPATH=str(directory) if not path else os.pathsep.join((str(directory), path)))
        return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
