"""Environment information for bug reports: ``python -m fastjwt.help`` (as ``jwt.help``)."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from typing import Dict

from ._version import __version__

__all__ = ["info", "main", "pyjwt_version", "cryptography_version"]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


#: fastjwt's version and cryptography's, under PyJWT's names.
pyjwt_version: str = __version__
cryptography_version: str = _version("cryptography")


def info() -> Dict[str, Dict[str, str]]:
    """Versions of the platform, the interpreter, fastjwt and its dependencies."""
    return {
        "platform": {"system": platform.system(), "release": platform.release()},
        "implementation": {"name": platform.python_implementation(), "version": platform.python_version()},
        "fastjwt": {"version": __version__},
        "cryptography": {"version": _version("cryptography")},
        "orjson": {"version": _version("orjson")},
        "cachetools": {"version": _version("cachetools")},
    }


def main() -> None:
    """Print :func:`info` as JSON."""
    print(json.dumps(info(), sort_keys=True, indent=2))


if __name__ == "__main__":
    main()
    sys.exit(0)
