"""What ships: the compiled core, typing files, no optional imports, README and CI agree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import fastjwt
from fastjwt import _core

ROOT = Path(__file__).resolve().parent.parent


def test_core_is_compiled() -> None:
    assert Path(_core.__file__).suffix in {".so", ".pyd"}


def test_typing_files_ship() -> None:
    package = Path(fastjwt.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


def test_import_does_not_pull_optional_integrations() -> None:
    code = (
        "import sys, fastjwt; "
        "print(sorted(m for m in sys.modules if m in {'asyncio', 'urllib.request', 'http.client'} "
        "or m.split('.')[0] in {'grpc', 'jwt', 'prometheus_client'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "[]"


def test_readme_quick_start_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    lines = re.findall(r"^```(?:sh|bash)?\n(.*?)\n```", quick_start, flags=re.M | re.S)
    commands = [line for block in lines for line in block.splitlines() if line.strip()]
    assert len(commands) == 2, commands
    ci = (ROOT / ".ci" / "run").read_text()
    # CI runs the README's test command itself, as its last line (the protobuf
    # check is a test: tests/test_gen_protos.py).
    assert commands[1].endswith(" && python -m pytest")
    assert ci.rstrip().splitlines()[-1] == commands[1]


def test_generated_protobuf_package_ships_its_proto_and_stubs() -> None:
    # CI runs the suite against the installed wheel: this checks the package data.
    from fastjwt.auth.v1 import options_pb2

    package = Path(options_pb2.__file__).parent
    assert (package / "options_pb2.pyi").is_file()
    assert (package / "options.proto").read_text() == (ROOT / "protos/fastjwt/auth/v1/options.proto").read_text()
