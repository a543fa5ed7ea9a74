"""``fastjwt demo`` end to end: in a subprocess, as CI runs it; with a fault; serving until SIGTERM."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import grpc
import pytest

import fastjwt
from fastjwt.demo import run as demo_run
from fastjwt.demo.run import STEPS, Services, run_demo
from fastjwt.demo.v1 import resource_pb2, resource_pb2_grpc, token_pb2, token_pb2_grpc

pytestmark = pytest.mark.network

SRC = str(Path(fastjwt.__file__).resolve().parent.parent)
TIMEOUT = 180  # a loaded 2-core machine; the demo itself takes a few seconds


def _env(**extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", demo_run.FAULT_ENV)}
    env["PYTHONPATH"] = os.pathsep.join([SRC, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env.update(extra)
    return env


def _demo(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastjwt", "demo", *args], capture_output=True, text=True,
                          timeout=TIMEOUT, env=_env(**env), check=False)


def test_demo_runs_to_completion() -> None:
    result = _demo("--duration", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "fastjwt demo — gRPC + JWT on 127.0.0.1, TLS, keys and certificates generated now"
    steps = [line for line in lines if line.startswith(" ✓ ") or line.startswith(" ✗ ")]
    assert [line.split(". ", 1)[1].rsplit(" (", 1)[0] for line in steps] == list(STEPS)
    assert all(line.startswith(" ✓ ") for line in steps)
    assert lines[-1] == f"all {len(STEPS)} steps behaved as expected"
    assert "\033[" not in result.stdout  # not a terminal: no colour
    assert "server log: refresh token reuse in family " in result.stdout
    assert result.stderr == ""


def test_demo_without_the_interceptor_fails_and_names_the_steps() -> None:
    result = _demo("--duration", "0.2", "--json", **{demo_run.FAULT_ENV: "no-interceptor"})
    assert result.returncode == 1
    report = json.loads(result.stdout)
    expected = ["allowed RPC", "missing scope", "no token", "tampered token", "expired token", "alg none token",
                "HS256 signed with the public key", "streaming RPCs"]
    assert report["failed"] == expected
    assert report["ok"] is False
    details = {step["name"]: step["detail"] for step in report["steps"]}
    assert details["allowed RPC"] == "the handler saw no verified claims (sub '')"
    assert details["missing scope"] == "DeleteItem succeeded without items:admin"
    assert details["tampered token"] == "DeleteItem succeeded, expected UNAUTHENTICATED"
    assert result.stderr.splitlines()[-1] == f"FAILED: {len(expected)} of {len(STEPS)} steps: " + ", ".join(expected)


def test_unknown_fault_is_a_usage_error() -> None:
    result = _demo("--duration", "0", **{demo_run.FAULT_ENV: "typo"})
    assert result.returncode == 2
    assert result.stderr.strip() == f"fastjwt demo: unknown {demo_run.FAULT_ENV} 'typo' (known: no-interceptor)"


def test_serve_prints_its_endpoints_serves_clients_and_stops_on_sigterm() -> None:
    process = subprocess.Popen([sys.executable, "-m", "fastjwt", "demo", "--serve"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        assert set(info) == {"token_service", "resource", "jwks_url", "ca_cert", "client_id", "client_secret",
                             "issuer", "audience", "methods"}
        assert info["methods"]["/fastjwt.demo.v1.ResourceService/DeleteItem"] == {"scopes": ["items:admin"],
                                                                                  "public": False}
        assert info["methods"]["/fastjwt.demo.v1.ResourceService/ServerInfo"] == {"scopes": [], "public": True}
        assert info["methods"]["/fastjwt.demo.v1.ResourceService/GetItem"] == {"scopes": ["items:read"],
                                                                               "public": False}
        assert len(info["methods"]) == 6
        tmp = Path(info["ca_cert"]).parent
        assert tmp.is_dir() and tmp.name.startswith("fastjwt-demo-")
        # A client of our own, with nothing but the JSON line.
        tls = grpc.ssl_channel_credentials(Path(info["ca_cert"]).read_bytes())
        with grpc.secure_channel(info["token_service"], tls) as channel:
            login = token_pb2_grpc.TokenServiceStub(channel).Login(token_pb2.LoginRequest(
                client=token_pb2.ClientCredentials(client_id=info["client_id"], client_secret=info["client_secret"])),
                timeout=30)
        with grpc.secure_channel(info["resource"], tls) as channel:
            item = resource_pb2_grpc.ResourceServiceStub(channel).GetItem(
                resource_pb2.GetItemRequest(id="1"), metadata=(("authorization", f"Bearer {login.access_token}"),),
                timeout=30)
        assert item.seen_by == info["client_id"]
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out == ""
    assert err.splitlines()[-1] == "stopping"
    assert not tmp.exists()  # the CA, keys and the SQLite file are gone


def test_in_process_with_colour_and_without_load() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert run_demo(duration=0, color=True, out=out, err=err) == 0
    text = out.getvalue()
    assert "\033[32m✓\033[0m" in text and "\033[31m" not in text
    assert "\033[1mload\033[0m \033[2m(" in text and "       skipped (--duration 0)\n" in text
    assert err.getvalue() == ""


def test_services_close_removes_everything() -> None:
    with Services() as services:
        tmp = services.tmp
        assert tmp is not None and sorted(os.listdir(tmp))[:3] == ["ca.pem", "server.key", "server.pem"]
        assert oct(os.stat(os.path.join(tmp, "server.key")).st_mode & 0o777) == "0o600"
        port = services.resource_port
    assert services.tmp is None and not os.path.exists(tmp)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        with pytest.raises(grpc.FutureTimeoutError):
            grpc.channel_ready_future(channel).result(timeout=0.5)


def test_cli_usage(capsys: pytest.CaptureFixture[str]) -> None:
    from fastjwt.cli import main

    for argv, message in ((["demo", "--duration", "-1"], "must be between 0 and 600 seconds"),
                          (["demo", "--duration", "x"], "not a number: 'x'")):
        with pytest.raises(SystemExit) as info:
            main(argv)
        assert info.value.code == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["demo", "--help"])
    assert info.value.code == 0
    out: List[str] = capsys.readouterr().out.splitlines()
    assert out[0].startswith("usage: fastjwt demo [-h] [--duration DURATION] [--no-color] [--json] [--serve]")


def test_a_reader_that_goes_away_stops_the_demo_quietly() -> None:
    process = subprocess.Popen([sys.executable, "-m", "fastjwt", "demo", "--duration", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=_env())
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("fastjwt demo — ")
        process.stdout.close()  # like `fastjwt demo | head -1`
        _, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 1
    assert err == ""
