#!/usr/bin/env bash
# Runs the test suite on each given CPython, one after the other (not run by CI, which uses one Python).
#
#   scripts/check_pythons.sh /path/to/python3.10 /path/to/python3.12 ...
#
# Per interpreter, everything under a fresh temporary directory (the checkout is never written to: the
# in-place build of the Cython modules differs per Python): a copy of the checkout's files (tracked and
# untracked, not ignored), a virtual environment, `pip install '.[test]'`. Where the test extra cannot
# install, the package alone and then each of the test extra's requirements one by one, naming those
# that fail. Then `python -m pytest` (each run bounded by TIMEOUT seconds, 900 by default), its results
# counted per group:
#   core    everything below that is not grpc or static
#   grpc    needs the grpc extra (grpcio, protobuf, grpcio-tools)
#   static  the pinned checkers: ruff, mypy, basedpyright, cython-lint (test_static_checks, test_typing)
# One line per interpreter; the logs stay in the printed directory (KEEP=0 removes them).
set -uo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TIMEOUT="${TIMEOUT:-900}"
if [ "$#" -eq 0 ]; then
    echo "usage: $0 PYTHON [PYTHON ...]" >&2
    exit 2
fi
BASE="$(mktemp -d "${TMPDIR:-/tmp}/fastjwt-pythons.XXXXXX")"
echo "logs: $BASE"
printf '%-6s | %-18s | %-24s | %-24s | %-24s\n' python "install '.[test]'" core grpc static

status=0
for python in "$@"; do
    version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" || { status=1; continue; }
    work="$BASE/$version"
    mkdir -p "$work/tree"
    (cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$work/tree")
    "$python" -m venv "$work/venv"
    pip="$work/venv/bin/pip"
    if (cd "$work/tree" && timeout "$TIMEOUT" "$pip" install '.[test]') >"$work/install.log" 2>&1; then
        install="ok"
    else
        # The package alone, then the test requirements that can install: the report names the others.
        (cd "$work/tree" && timeout "$TIMEOUT" "$pip" install .) >>"$work/install.log" 2>&1 || {
            echo "$version: the package itself does not install, see $work/install.log"
            status=1
            continue
        }
        requirements="$("$work/venv/bin/python" -c '
import importlib.metadata as m
for r in m.requires("fastjwt-validator") or []:
    spec, _, marker = r.partition(";")
    if "extra == \"test\"" in marker:
        print(spec.strip())')"
        # First those with no release for this Python; then each other one with its dependencies, which may not
        # bring an older release of a missing one (grpcio-health-checking would pull an old grpcio): a
        # constraint that cannot be met, so such a requirement is missing too.
        missing=""
        : >"$work/constraints.txt"
        while IFS= read -r requirement; do
            "$pip" install --dry-run --no-deps "$requirement" >>"$work/install.log" 2>&1 && continue
            missing="$missing $requirement"
            echo "$requirement" >>"$work/constraints.txt"
        done <<<"$requirements"
        while IFS= read -r requirement; do
            case "$missing " in *" $requirement "*) continue ;; esac
            timeout "$TIMEOUT" "$pip" install -c "$work/constraints.txt" "$requirement" >>"$work/install.log" 2>&1 \
                || missing="$missing $requirement"
        done <<<"$requirements"
        install="no: $(wc -w <<<"$missing") missing"
    fi
    (cd "$work/tree" && timeout "$TIMEOUT" "$work/venv/bin/python" -m pytest -q -p no:cacheprovider \
        --continue-on-collection-errors --junitxml="$work/junit.xml") >"$work/pytest.log" 2>&1
    counts="$("$work/venv/bin/python" - "$work/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET

# Tests that need the grpc extra outside tests/grpc (module, or module::test name prefix).
GRPC = ("tests.grpc.", "tests.grpc::", "tests.demo.test_run", "tests.demo.test_token_service", "tests.test_gen_protos",
        "tests.test_pki::test_tls_", "tests.test_pki::test_mtls_",
        "tests.test_packaging::test_generated_protobuf_package")
STATIC = ("tests.test_static_checks", "tests.test_typing")
counts = {group: [0, 0] for group in ("core", "grpc", "static")}
for case in ET.parse(sys.argv[1]).iter("testcase"):
    # A collection error is a testcase named after its module, with an empty classname.
    name = case.get("classname") + "::" + case.get("name") if case.get("classname") else case.get("name") + "::"
    group = "grpc" if name.startswith(GRPC) else "static" if name.startswith(STATIC) else "core"
    if case.find("skipped") is not None:
        continue
    failed = case.find("failure") is not None or case.find("error") is not None
    counts[group][failed] += 1
print(" ".join("%d,%d" % (ok, bad) for ok, bad in counts.values()))
EOF
)" || counts="?,? ?,? ?,?"
    cells=()
    for count in $counts; do
        cells+=("${count%,*} passed, ${count#*,} failed")
        [ "${count#*,}" = 0 ] || status=1
    done
    [ "$install" = ok ] || status=1
    printf '%-6s | %-18s | %-24s | %-24s | %-24s\n' "$version" "$install" "${cells[@]}"
    [ "$install" = ok ] || echo "         test extra requirements missing on $version:$missing"
    [ "${KEEP:-1}" = 0 ] && rm -rf "$work"
done
exit "$status"
