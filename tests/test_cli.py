"""The command line: verify, inspect, encode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _support import HMAC_SECRET

import fastjwt
from fastjwt.cli import main

SECRET = HMAC_SECRET.decode()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_then_verify(capsys: pytest.CaptureFixture[str]) -> None:
    code, token, _ = run(capsys, "encode", '{"sub":"alice","aud":"api","exp":4102444800}', "--key", SECRET, "--kid", "v1")
    assert code == 0
    token = token.strip()
    assert fastjwt.get_unverified_header(token) == {"alg": "HS256", "kid": "v1", "typ": "JWT"}
    code, out, _ = run(capsys, "verify", token, "--key", SECRET, "--alg", "HS256", "--aud", "api")
    assert code == 0
    assert out.endswith("valid\n")
    report = json.loads(out[: -len("valid\n")])
    assert report["payload"] == {"sub": "alice", "aud": "api", "exp": 4102444800}
    assert report["times"] == {"exp": "2100-01-01T00:00:00+00:00"}


@pytest.mark.parametrize(
    ("claims", "args", "reason"),
    [
        ('{"sub":"a","exp":1}', [], "rejected: ExpiredSignatureError: Signature has expired"),
        ('{"sub":"a","aud":"web"}', ["--aud", "api"], "rejected: InvalidAudienceError: Audience doesn't match"),
        ('{"sub":"a"}', ["--require", "exp"], 'rejected: MissingRequiredClaimError: Token is missing the "exp" claim'),
        ('{"sub":"a"}', ["--typ", "at+jwt"], "rejected: InvalidTokenTypeError: Invalid token type (typ header)"),
    ],
)
def test_verify_says_why(capsys: pytest.CaptureFixture[str], claims: str, args: list, reason: str) -> None:
    token = fastjwt.encode(json.loads(claims), HMAC_SECRET)
    code, out, _ = run(capsys, "verify", token, "--key", SECRET, "--alg", "HS256", *args)
    assert code == 1
    assert out.strip() == reason
    assert SECRET not in out and token not in out


def test_verify_wrong_key_and_bad_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    token = fastjwt.encode({"sub": "a"}, HMAC_SECRET)
    code, out, _ = run(capsys, "verify", token, "--key", SECRET + "x", "--alg", "HS256")
    assert (code, out.strip()) == (1, "rejected: InvalidSignatureError: Signature verification failed")
    pem = tmp_path / "key.pem"
    pem.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    code, _, err = run(capsys, "verify", token, "--key", f"@{pem}", "--alg", "RS256")
    assert code == 2
    assert "unusable key" in err and "AAAA" not in err


def test_inspect_does_not_verify(capsys: pytest.CaptureFixture[str]) -> None:
    token = fastjwt.encode({"sub": "a", "exp": 1}, b"unknown-secret-unknown-secret-unknown-secret")
    code, out, err = run(capsys, "inspect", token)
    assert code == 0
    assert json.loads(out)["claims"] == {"sub": "a", "exp": 1}
    assert "NOT VERIFIED" in err
    code, _, err = run(capsys, "inspect", "not-a-token")
    assert code == 1 and err.strip() == "malformed: DecodeError: Not enough segments"


def test_python_dash_m_reads_stdin() -> None:
    token = fastjwt.encode({"sub": "a"}, HMAC_SECRET)
    result = subprocess.run(
        [sys.executable, "-m", "fastjwt", "verify", "-", "--key", SECRET, "--alg", "HS256", "-q"],
        input=token.encode(), capture_output=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""


def token_with_header(header: dict, claims: dict) -> str:
    """An HS256 token with exactly this header (fastjwt.encode would refuse some of them)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(hmac.new(HMAC_SECRET, signing_input.encode(), hashlib.sha256).digest())}"


RETITLE = "\x1b]0;you have been pwned\x07"


@pytest.mark.parametrize("header_extra, reason", [
    ({"crit": [RETITLE]}, "InvalidTokenError: Unsupported critical extension: \\x1b]0;you have been pwned\\x07"),
    ({"crit": ["b64\x1b[2J"]}, "InvalidTokenError: Unsupported critical extension: b64\\x1b[2J"),
])
def test_verify_never_prints_terminal_control_characters(capsys: pytest.CaptureFixture[str], header_extra: dict,
                                                         reason: str) -> None:
    """Issue 8, finding 7: an unsupported crit value carrying ESC ] 0 ; ... BEL retitled the terminal."""
    token = token_with_header({"alg": "HS256", **header_extra}, {"sub": "a"})
    code, out, err = run(capsys, "verify", token, "--key", SECRET, "--alg", "HS256")
    assert (code, out, err) == (1, f"rejected: {reason}\n", "")
    code, out, err = run(capsys, "inspect", token)
    assert (code, out, err) == (1, "", f"malformed: {reason}\n")


@pytest.mark.parametrize("code_point", [*range(0x00, 0x20), *range(0x7F, 0xA0), 0x202E, 0x2066, 0xFEFF, 0xE0001])
def test_no_control_character_reaches_the_terminal(capsys: pytest.CaptureFixture[str], code_point: int) -> None:
    char = chr(code_point)
    token = token_with_header({"alg": "HS256", "typ": f"a{char}b", "kid": char, "crit": [f"x{char}"]}, {"sub": char})
    for argv in (("verify", token, "--key", SECRET, "--alg", "HS256"), ("inspect", token),
                 ("verify", token_with_header({"alg": "HS256", "typ": char}, {"sub": char}), "--key", SECRET,
                  "--alg", "HS256")):
        _, out, err = run(capsys, *argv)
        assert char not in (out + err).replace("\n", "")  # line ends are the CLI's own
        assert all(line.isprintable() for line in (out + err).splitlines())
