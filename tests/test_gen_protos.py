"""scripts/gen_protos.py: the committed protobuf code is current, and --check catches every kind of drift."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "gen_protos.py"
OPTIONS = "src/fastjwt/auth/v1/options"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--root", str(root), *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    """A copy of the repository's .proto files and their committed generated code."""
    for tree in ("protos", "tests/protos", "src/fastjwt/auth", "src/fastjwt/demo/v1", "tests/fastjwt_test"):
        shutil.copytree(ROOT / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__"))
    for module in ("src/fastjwt/__init__.py", "src/fastjwt/demo/__init__.py"):
        shutil.copyfile(ROOT / module, tmp_path / module)
    return tmp_path


def _stale(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert lines[0] == "Generated protobuf code is stale; run python scripts/gen_protos.py:"
    return [line.strip() for line in lines[1:]]


def test_committed_code_is_current() -> None:
    result = _run(ROOT, "--check")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == "gen_protos: 14 generated files up to date\n"


def test_check_names_the_files_a_changed_proto_makes_stale_and_writing_fixes_them(repo: Path) -> None:
    proto = repo / "protos/fastjwt/auth/v1/options.proto"
    proto.write_text(proto.read_text().replace("bool require_cert_binding = 6;",
                                               "bool require_cert_binding = 6;\n  string note = 7;"))
    # The test proto imports options.proto, but its own generated code does not change.
    assert _stale(_run(repo, "--check")) == [f"{OPTIONS}.proto (out of date)", f"{OPTIONS}_pb2.py (out of date)",
                                             f"{OPTIONS}_pb2.pyi (out of date)"]
    written = _run(repo)
    assert written.returncode == 0
    assert written.stdout.splitlines() == [f"wrote {OPTIONS}.proto", f"wrote {OPTIONS}_pb2.py",
                                           f"wrote {OPTIONS}_pb2.pyi"]
    assert "note" in (repo / f"{OPTIONS}_pb2.pyi").read_text()
    assert _run(repo, "--check").returncode == 0


def test_check_reports_edited_missing_and_orphaned_files(repo: Path) -> None:
    (repo / "tests/fastjwt_test/v1/echo_pb2_grpc.py").write_text("# edited by hand\n")
    (repo / "src/fastjwt/auth/v1/__init__.py").unlink()
    (repo / f"{OPTIONS}_pb2.pyi").unlink()
    (repo / "tests/fastjwt_test/v1/gone_pb2.py").write_text("# its .proto was deleted\n")
    assert _stale(_run(repo, "--check")) == [
        f"{OPTIONS}_pb2.pyi (out of date)",
        "tests/fastjwt_test/v1/echo_pb2_grpc.py (out of date)",
        "src/fastjwt/auth/v1/__init__.py (missing)",
        "tests/fastjwt_test/v1/gone_pb2.py (no .proto produces it)",
    ]
    assert _run(repo).returncode == 0
    assert not (repo / "tests/fastjwt_test/v1/gone_pb2.py").exists()
    assert (repo / "src/fastjwt/auth/v1/__init__.py").read_text() == (
        '"""Generated protocol buffer package fastjwt.auth.v1 (scripts/gen_protos.py; do not edit)."""\n')
    assert _run(repo, "--check").returncode == 0


def test_grpc_code_only_for_files_with_services(repo: Path) -> None:
    package = repo / "protos/fastjwt/extra/v1"
    package.mkdir(parents=True)
    (package / "types.proto").write_text(
        'syntax = "proto3";\npackage fastjwt.extra.v1;\nmessage Note { string text = 1; }\n')
    (package / "notes.proto").write_text(
        'syntax = "proto3";\npackage fastjwt.extra.v1;\nimport "fastjwt/extra/v1/types.proto";\n'
        "service Notes { rpc Add(Note) returns (Note); }\n")
    assert _run(repo).returncode == 0
    generated = sorted(p.name for p in (repo / "src/fastjwt/extra/v1").iterdir())
    assert generated == ["__init__.py", "notes.proto", "notes_pb2.py", "notes_pb2.pyi", "notes_pb2_grpc.py",
                         "types.proto", "types_pb2.py", "types_pb2.pyi"]
    assert (repo / "src/fastjwt/extra/__init__.py").is_file()
    assert _run(repo, "--check").returncode == 0


def test_an_existing_init_is_never_overwritten(repo: Path) -> None:
    init = repo / "src/fastjwt/auth/__init__.py"
    init.write_text('"""Hand-written."""\n')
    assert _run(repo).stdout == ""
    assert init.read_text() == '"""Hand-written."""\n'


def test_an_invalid_proto_fails_with_protocs_message(repo: Path) -> None:
    (repo / "protos/fastjwt/auth/v1/broken.proto").write_text('syntax = "proto3";\nmessage {\n')
    result = _run(repo, "--check")
    assert result.returncode == 1
    assert "broken.proto:2:9: Expected message name." in result.stderr
    assert "protoc failed (exit 1)" in result.stderr
