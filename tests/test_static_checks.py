"""The tree is clean under ruff, mypy, basedpyright and cython-lint.

Each tool runs in a subprocess from the repository root with the settings in
pyproject.toml (what it checks is configured there, so running the tool by
hand gives the same verdict); the test fails with the tool's own report.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, List

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Per tool: here basedpyright takes ~11 s, mypy ~4 s cold (<1 s warm), cython-lint ~2 s, ruff <1 s;
# the margin is for a loaded CI machine.
TIMEOUT = 300


def _executable(name: str) -> str:
    """A console script installed next to this interpreter (the test extra installs each tool)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    assert found is not None, f"{name} is in the test extra; install '.[test]'"
    return found


def _ruff() -> List[str]:
    # --no-cache: nothing written into the checkout.
    return [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format=concise", "."]


def _mypy() -> List[str]:
    # Incremental: a cache per checkout in the temporary directory makes reruns take seconds.
    checkout = hashlib.sha256(str(ROOT).encode()).hexdigest()[:16]
    cache = Path(tempfile.gettempdir()) / f"fastjwt-mypy-cache-{checkout}"
    return [sys.executable, "-m", "mypy", f"--cache-dir={cache}"]


def _basedpyright() -> List[str]:
    return [_executable("basedpyright"), "--pythonpath", sys.executable]


def _cython_lint() -> List[str]:
    sources = sorted(ROOT.glob("src/fastjwt/**/*.pyx")) + sorted(ROOT.glob("src/fastjwt/*.pxd"))
    assert len(sources) >= 5, sources
    return [_executable("cython-lint"), *(str(path.relative_to(ROOT)) for path in sources)]


COMMANDS: Dict[str, Callable[[], List[str]]] = {
    "ruff": _ruff,
    "mypy": _mypy,
    "basedpyright": _basedpyright,
    "cython-lint": _cython_lint,
}


@pytest.mark.parametrize("tool", list(COMMANDS))
def test_tree_is_clean(tool: str) -> None:
    command = COMMANDS[tool]()
    # cython-lint runs pycodestyle by name: the tools next to this interpreter come first, as in an activated
    # virtual environment (`venv/bin/python -m pytest` runs the suite without activating it).
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", os.defpath)])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                          env={**os.environ, "PATH": path})
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, f"{tool} found problems (exit {done.returncode}): {' '.join(command)}\n{report}"
