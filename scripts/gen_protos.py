"""Generate the Python code of every .proto in the repository with grpcio-tools.

``python scripts/gen_protos.py``          regenerate, write what changed
``python scripts/gen_protos.py --check``  regenerate into a temporary directory;
                                          exit 1 naming every file that differs

Sources and where their code goes:

- ``protos/**.proto``        -> ``src/`` (shipped: ``fastjwt.auth.v1.options_pb2`` ..., and a
                                copy of the .proto itself, for users' own protoc runs)
- ``tests/protos/**.proto``  -> ``tests/`` (test-only services; may import ``protos/``)

For each .proto it writes ``*_pb2.py`` and ``*_pb2.pyi``, and ``*_pb2_grpc.py``
when the file declares a service. Missing ``__init__.py`` files of the generated
packages are created (existing ones are never touched). Generated files whose
.proto is gone are deleted (reported by ``--check``).

The output depends only on the .proto files and the grpcio-tools version (its
bundled protoc): pin grpcio-tools where this runs (the ``test`` extra does) so
that ``--check`` compares like with like.
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Dict, List, Sequence, Set

ROOT = Path(__file__).resolve().parent.parent
GENERATED_SUFFIXES = ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")


@dataclass(frozen=True)
class Tree:
    """A directory of .proto files, where its code goes, and what it may import."""

    protos: str
    out: str
    includes: tuple[str, ...] = ()
    #: Copy each .proto beside its code, so that the package ships it (users import it).
    ship_sources: bool = False


TREES = (
    Tree(protos="protos", out="src", ship_sources=True),
    Tree(protos="tests/protos", out="tests", includes=("protos",)),
)


def _protoc(args: Sequence[str]) -> None:
    """Run grpcio-tools' bundled protoc in this process; raise on any error."""
    from grpc_tools import protoc  # imported here: --help works without grpcio-tools

    well_known = str(resources.files("grpc_tools") / "_proto")
    code = protoc.main(["grpc_tools.protoc", f"-I{well_known}", *args])
    if code != 0:
        raise SystemExit(f"protoc failed (exit {code}) on: {' '.join(args)}")


def _files_with_services(includes: List[str], sources: List[str], scratch: Path) -> Set[str]:
    """The .proto paths (relative to their include root) that declare at least one service."""
    from google.protobuf import descriptor_pb2

    out = scratch / "descriptors.pb"
    _protoc([*includes, f"--descriptor_set_out={out}", *sources])
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    return {f.name for f in files if f.service}


def generate(root: Path, dest: Path) -> Dict[str, Path]:
    """Generate every tree under ``root`` into ``dest``; map repo-relative path -> generated file."""
    produced: Dict[str, Path] = {}
    for tree in TREES:
        proto_dir = root / tree.protos
        if not proto_dir.is_dir():
            continue
        relative = sorted(p.relative_to(proto_dir).as_posix() for p in proto_dir.rglob("*.proto"))
        if not relative:
            continue
        # Absolute paths: protoc names each file by its path under the include root.
        sources = [str(proto_dir / name) for name in relative]
        includes = [f"-I{proto_dir}", *(f"-I{root / inc}" for inc in tree.includes)]
        out = dest / tree.out
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as scratch:
            services = _files_with_services(includes, sources, Path(scratch))
        _protoc([*includes, f"--python_out={out}", f"--pyi_out={out}", *sources])
        grpc_sources = [str(proto_dir / name) for name in relative if name in services]
        if grpc_sources:
            _protoc([*includes, f"--grpc_python_out={out}", *grpc_sources])
        for name in relative:
            if tree.ship_sources:
                shutil.copyfile(proto_dir / name, out / name)
                produced[f"{tree.out}/{name}"] = out / name
            stem = name[: -len(".proto")]
            suffixes = GENERATED_SUFFIXES if name in services else GENERATED_SUFFIXES[:2]
            for suffix in suffixes:
                path = f"{tree.out}/{stem}{suffix}"
                produced[path] = dest / path
    return produced


def _packages(produced: Dict[str, Path]) -> Set[str]:
    """Every ``__init__.py`` the generated modules need (repo-relative), up to their tree's root."""
    needed: Set[str] = set()
    for path in produced:
        tree = next(t for t in TREES if path.startswith(t.out + "/"))
        parent = Path(path).parent
        while parent != Path(tree.out):
            needed.add((parent / "__init__.py").as_posix())
            parent = parent.parent
    return needed


def _stale_generated(root: Path, produced: Dict[str, Path]) -> List[str]:
    """Generated files in the repository that no .proto produces any more."""
    stale = []
    for tree in TREES:
        out = root / tree.out
        if not out.is_dir():
            continue
        patterns = ("*_pb2*.py*", "*.proto") if tree.ship_sources else ("*_pb2*.py*",)
        for path in (p for pattern in patterns for p in out.rglob(pattern)):
            rel = path.relative_to(root).as_posix()
            generated = rel.endswith(GENERATED_SUFFIXES) or rel.endswith(".proto")
            if generated and rel not in produced:
                stale.append(rel)
    return sorted(stale)


def _init_text(package_init: str) -> str:
    tree = next(t for t in TREES if package_init.startswith(t.out + "/"))
    dotted = package_init[len(tree.out) + 1 : -len("/__init__.py")].replace("/", ".")
    return f'"""Generated protocol buffer package {dotted} (scripts/gen_protos.py; do not edit)."""\n'


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate (default) or check (``--check``) the generated code; return the exit status."""
    # __doc__ is None under python -OO.
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if any generated file is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this script's)")
    args = parser.parse_args(argv)
    root: Path = args.root.resolve()

    with tempfile.TemporaryDirectory(prefix="gen_protos-") as tmp:
        produced = generate(root, Path(tmp))
        changed = [rel for rel, new in sorted(produced.items())
                   if not (root / rel).is_file() or not filecmp.cmp(new, root / rel, shallow=False)]
        missing_inits = sorted(p for p in _packages(produced) if not (root / p).is_file())
        stale = _stale_generated(root, produced)

        if args.check:
            problems = [*(f"{p} (out of date)" for p in changed), *(f"{p} (missing)" for p in missing_inits),
                        *(f"{p} (no .proto produces it)" for p in stale)]
            if problems:
                print("Generated protobuf code is stale; run python scripts/gen_protos.py:", file=sys.stderr)
                for problem in problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            print(f"gen_protos: {len(produced)} generated files up to date")
            return 0

        for rel in changed:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(produced[rel], root / rel)
            print(f"wrote {rel}")
        for rel in missing_inits:
            (root / rel).write_text(_init_text(rel))
            print(f"wrote {rel}")
        for rel in stale:
            (root / rel).unlink()
            print(f"deleted {rel}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
