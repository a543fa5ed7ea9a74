"""scripts/as_pyjwt.py: a command run by it imports fastjwt as ``jwt``, PyJWT's submodules included."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import fastjwt

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "as_pyjwt.py"

PROBE = """
import jwt, jwt.api_jws, jwt.api_jwt, fastjwt
from jwt.exceptions import InvalidTokenError
assert jwt is fastjwt, jwt
assert jwt.api_jws is fastjwt.api_jws and jwt.api_jwt is fastjwt.api_jwt
assert InvalidTokenError is fastjwt.InvalidTokenError
token = jwt.api_jws.encode(b'{"sub":"alice"}', "k" * 32, algorithm="HS256")
print(jwt.decode(token, "k" * 32, algorithms=["HS256"])["sub"])
"""


def test_a_command_imports_fastjwt_as_jwt(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(fastjwt.__file__).resolve().parent.parent))
    done = subprocess.run([sys.executable, str(SCRIPT), "--shim-dir", str(tmp_path), "--", sys.executable, "-c", PROBE],
                          capture_output=True, text=True, timeout=60, env=env, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "alice\n", "")
    assert sorted(path.name for path in (tmp_path / "jwt").iterdir()) == ["__init__.py"]


def test_the_shim_lists_every_pyjwt_submodule_fastjwt_has() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import as_pyjwt  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SCRIPT.parent))
    assert as_pyjwt.SUBMODULES == ("algorithms", "api_jwk", "api_jws", "api_jwt", "exceptions", "help",
                                   "jwk_set_cache", "jwks_client", "types", "utils", "warnings")
    for name in as_pyjwt.SUBMODULES:
        assert importlib.import_module(f"fastjwt.{name}").__name__ == f"fastjwt.{name}"
