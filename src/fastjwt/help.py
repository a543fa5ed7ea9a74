"""Environment information for bug reports: ``python -m fastjwt.help`` (as ``jwt.help``)."""

from __future__ import annotations

import json
import platform
import sys
from importlib import metadata
from typing import Dict

__all__ = ["info", "main"]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return ""


def info() -> Dict[str, Dict[str, str]]:
    """Versions of the platform, the interpreter, fastjwt and its dependencies."""
    from . import __version__

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
