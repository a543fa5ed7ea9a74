"""The public API as type checkers see it: tests/typing/ under mypy and basedpyright.

Each ``reveal_type`` in tests/typing/ carries the type each checker must
reveal (``# revealed: T``, or ``# mypy: T`` and ``# pyright: U``); the
revealed types must match exactly, and the checked files must be clean.
Both checkers run in a subprocess with the repository's pyproject.toml.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPING = ROOT / "tests" / "typing"
FILES = sorted(TYPING.glob("*.py"))
CHECKERS = ("mypy", "pyright")

Reveals = Dict[Tuple[str, int], str]


def _expected(checker: str) -> Reveals:
    expected: Reveals = {}
    for path in FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if not line.startswith("reveal_type("):
                continue
            notes = dict(part.split(": ", 1) for part in line.split("  # ")[1:])
            assert "revealed" in notes or set(notes) == set(CHECKERS), f"{path.name}:{number}: no expected type"
            expected[(path.name, number)] = notes.get("revealed", notes.get(checker, ""))
    return expected


def _run(command: List[str]) -> str:
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    return done.stdout + done.stderr


def _mypy() -> Tuple[Reveals, List[str]]:
    # follow-imports=silent: only the checked files' own findings count here;
    # the package's are mypy's own run (`mypy` in the repository).
    output = _run([sys.executable, "-m", "mypy", "--follow-imports=silent", "--no-warn-unused-configs",
                   "--cache-dir=/dev/null", *map(str, FILES)])
    revealed: Reveals = {}
    other = []
    for line in output.splitlines():
        match = re.match(r"(?:.*/)?([\w]+\.py):(\d+): note: Revealed type is \"(.*)\"$", line)
        if match:
            revealed[(match[1], int(match[2]))] = match[3]
        elif not line.startswith("Success: no issues found"):
            other.append(line)
    return revealed, other


def _pyright() -> Tuple[Reveals, List[str]]:
    executable = shutil.which("basedpyright", path=str(Path(sys.executable).parent))
    assert executable is not None, "basedpyright is in the test extra"
    output = _run([executable, "--pythonpath", sys.executable, *map(str, FILES)])
    revealed: Reveals = {}
    other = []
    for line in output.splitlines():
        match = re.match(r"\s*(?:.*/)?([\w]+\.py):(\d+):\d+ - information: Type of \".*\" is \"(.*)\"$", line)
        if match:
            revealed[(match[1], int(match[2]))] = match[3]
        elif line.strip() and not line.strip().endswith(tuple(p.name for p in FILES)) \
                and not re.match(r"0 errors, 0 warnings, \d+ notes?$", line):
            other.append(line)
    return revealed, other


def test_every_typing_file_reveals_something() -> None:
    assert [p.name for p in FILES] == ["public_api.py"]
    assert len(_expected("mypy")) >= 20


@pytest.mark.parametrize("checker", CHECKERS)
def test_revealed_types_are_exactly_the_expected_ones(checker: str) -> None:
    revealed, other = _mypy() if checker == "mypy" else _pyright()
    assert other == []
    assert revealed == _expected(checker)
