"""The command line: verify, inspect, encode."""

from __future__ import annotations

import base64
import io
import json
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _jwks_server import JWKSServer
from _support import HMAC_SECRET
from cryptography.hazmat.primitives import serialization

import fastjwt
from fastjwt import _cli_bench
from fastjwt._pki import DevPKI
from fastjwt.cli import main
from fastjwt.jwk import key_to_jwk, thumbprint

SECRET = HMAC_SECRET.decode()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_encode_then_verify(capsys: pytest.CaptureFixture[str]) -> None:
    code, token, _ = run(
        capsys, "encode", '{"sub":"alice","aud":"api","exp":4102444800}', "--key", SECRET, "--kid", "v1"
    )
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


# ---------------------------------------------------------------- new commands

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("inspect", "verify", "encode", "keygen", "jwks", "bench", "demo")


def usage(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple:
    """Run a command that must exit through argparse/SystemExit; (status, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("command", COMMANDS)
def test_help_on_every_command(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = usage(capsys, command, "--help")
    assert code == 0
    assert out.startswith(f"usage: fastjwt {command} ")


def test_top_level_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = usage(capsys, "--help")
    assert code == 0
    assert "{" + ",".join(COMMANDS) in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: command"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["verify", "t", "--alg", "HS256"], "one of the arguments --key --jwks is required"),
        (["verify", "t", "--alg", "HS256", "--key", "k", "--jwks", "f"],
         "argument --jwks: not allowed with argument --key"),
        (["verify", "t", "--key", "k"], "the following arguments are required: --alg"),
        (["verify", "t", "--alg", "HS256", "--key", "@/nonexistent/key"], "cannot read /nonexistent/key: No such file"),
        (["verify", "-", "--alg", "HS256", "--key", "-"], "only one argument can be read from stdin"),
        (["verify", "t", "--alg", "ES256", "--jwks", "/nonexistent.json"], "cannot read /nonexistent.json"),
        (["verify", "t", "--alg", "ES256", "--jwks", "http://example.com/jwks.json"],
         "unusable JWKS URL: A JWKS must be fetched over https"),
        (["inspect", "@/nonexistent/token"], "cannot read /nonexistent/token"),
        (["keygen", "--alg", "ES384", "--out", "x"], "argument --alg: invalid choice: 'ES384'"),
        (["keygen", "--alg", "ES256"], "the following arguments are required: --out"),
        (["jwks"], "the following arguments are required: PEM"),
        (["bench", "--repeats", "0"], "argument --repeats: must be between 1 and 20"),
    ],
)
def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                             argv: list, message: str) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"x")))
    code, out, err = usage(capsys, *argv)
    assert code == 2
    assert message in err
    assert out == ""


# keygen ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "RS256"])
def test_keygen_asymmetric(capsys: pytest.CaptureFixture[str], tmp_path: Path, alg: str) -> None:
    out_dir = tmp_path / "keys"
    extra = ["--bits", "2048"] if alg == "RS256" else []
    code, out, err = run(capsys, "keygen", "--alg", alg, "--out", str(out_dir), "--json", *extra)
    assert (code, err) == (0, "")
    report = json.loads(out)
    kid = report["kid"]
    assert report["alg"] == alg
    files = {role: Path(path) for role, path in report["files"].items()}
    assert files == {"private_key": out_dir / f"{kid}.key.pem", "public_key": out_dir / f"{kid}.pub.pem",
                     "jwk": out_dir / f"{kid}.jwk.json", "jwks": out_dir / "jwks.json"}
    assert _mode(out_dir) == 0o700
    assert _mode(files["private_key"]) == 0o600
    assert _mode(files["public_key"]) == 0o644
    jwk = json.loads(files["jwk"].read_text())
    assert jwk["kid"] == kid == thumbprint(jwk)  # the default kid is the RFC 7638 thumbprint
    assert (jwk["alg"], jwk["use"]) == (alg, "sig")
    assert "d" not in jwk and "p" not in jwk
    assert json.loads(files["jwks"].read_text()) == {"keys": [jwk]}
    private = serialization.load_pem_private_key(files["private_key"].read_bytes(), None)
    public_pem = files["public_key"].read_bytes()
    assert private.public_key().public_bytes(  # type: ignore[union-attr]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) == public_pem
    token = fastjwt.encode({"sub": "k"}, private, algorithm=alg, headers={"kid": kid})  # type: ignore[arg-type]
    assert run(capsys, "verify", token, "--jwks", str(files["jwks"]), "--alg", alg, "-q") == (0, "", "")
    assert run(capsys, "verify", token, "--key", f"@{files['public_key']}", "--alg", alg, "-q") == (0, "", "")


def test_keygen_twice_builds_a_rotation_set_and_never_overwrites(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    assert run(capsys, "keygen", "--alg", "ES256", "--kid", "2026-11", "--out", str(tmp_path))[0] == 0
    code, out, _ = run(capsys, "keygen", "--alg", "EdDSA", "--kid", "2026-12", "--out", str(tmp_path))
    assert code == 0
    assert out.splitlines()[0] == "kid 2026-12 (EdDSA)"
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    assert [k["kid"] for k in jwks["keys"]] == ["2026-11", "2026-12"]
    before = (tmp_path / "2026-11.key.pem").read_bytes()
    code, out, err = run(capsys, "keygen", "--alg", "ES256", "--kid", "2026-11", "--out", str(tmp_path))
    assert (code, out) == (1, "")
    assert err.strip() == f"fastjwt: {tmp_path / '2026-11.key.pem'} exists (use --force to replace it)"
    assert (tmp_path / "2026-11.key.pem").read_bytes() == before
    (tmp_path / "2026-11.key.pem").chmod(0o644)  # a replaced secret must not inherit wider permissions
    assert run(capsys, "keygen", "--alg", "ES256", "--kid", "2026-11", "--out", str(tmp_path), "--force")[0] == 0
    assert (tmp_path / "2026-11.key.pem").read_bytes() != before
    assert _mode(tmp_path / "2026-11.key.pem") == 0o600
    jwks = json.loads((tmp_path / "jwks.json").read_text())
    assert [k["kid"] for k in jwks["keys"]] == ["2026-12", "2026-11"]  # replaced, not duplicated


def test_keygen_hs256_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "keygen", "--alg", "HS256", "--kid", "shared", "--out", str(tmp_path), "--json")
    assert code == 0
    files = json.loads(out)["files"]
    assert set(files) == {"secret", "jwk"}
    secret_path, jwk_path = Path(files["secret"]), Path(files["jwk"])
    assert _mode(secret_path) == _mode(jwk_path) == 0o600
    assert not (tmp_path / "jwks.json").exists()  # a secret is never published
    secret = secret_path.read_bytes()
    assert len(secret) == 43 and base64.urlsafe_b64decode(secret + b"=")  # 256 random bits, base64url text
    jwk = json.loads(jwk_path.read_text())
    assert (jwk["kty"], jwk["kid"], jwk["alg"]) == ("oct", "shared", "HS256")
    assert base64.urlsafe_b64decode(jwk["k"] + "=" * (-len(jwk["k"]) % 4)) == secret
    token = fastjwt.encode({"sub": "s"}, secret, algorithm="HS256")
    assert run(capsys, "verify", token, "--key", f"@{secret_path}", "--alg", "HS256", "-q") == (0, "", "")
    assert secret.decode() not in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--alg", "ES256", "--kid", "../escape"], "--kid must be 1-128 characters of A-Z a-z 0-9 . _ -"),
        (["--alg", "ES256", "--kid", ""], "--kid must be 1-128 characters"),
        (["--alg", "ES256", "--bits", "4096"], "--bits applies to RS256 only"),
        (["--alg", "RS256", "--bits", "1024"], "--bits must be between 2048 and 8192"),
    ],
)
def test_keygen_bad_options(capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list, message: str) -> None:
    code, out, err = run(capsys, "keygen", "--out", str(tmp_path / "k"), *argv)
    assert (code, out) == (2, "")
    assert message in err
    assert not (tmp_path / "k").exists()


def test_keygen_unwritable_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    code, _, err = run(capsys, "keygen", "--alg", "ES256", "--out", str(blocker / "keys"))
    assert code == 1
    assert err.startswith(f"fastjwt: cannot write to {blocker / 'keys'}: ")


# jwks --------------------------------------------------------------------------


def test_jwks_from_public_keys_certificates_and_private_keys(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                             keys: dict) -> None:
    ec_pub = tmp_path / "ec.pub.pem"
    ec_pub.write_bytes(keys["p384"].public_key().public_bytes(serialization.Encoding.PEM,
                                                              serialization.PublicFormat.SubjectPublicKeyInfo))
    ed_private = tmp_path / "ed.key.pem"
    ed_private.write_bytes(keys["ed25519"].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    cert = tmp_path / "server.pem"
    cert.write_bytes(DevPKI.create().server.cert_pem)
    code, out, err = run(capsys, "jwks", str(ec_pub), str(ed_private), str(cert), str(ec_pub))
    assert code == 0
    assert err.strip() == f"fastjwt jwks: {ed_private} holds a private key; only its public part is published"
    document = json.loads(out)
    assert [(k["kty"], k.get("crv"), k["alg"], k["use"]) for k in document["keys"]] == [
        ("EC", "P-384", "ES384", "sig"), ("OKP", "Ed25519", "EdDSA", "sig"), ("EC", "P-256", "ES256", "sig")]
    assert all(k["kid"] == thumbprint(k) for k in document["keys"])  # duplicates dropped, thumbprint kids
    assert all("d" not in k for k in document["keys"])
    assert len(fastjwt.KeySet.from_jwks(out)) == 3


def test_jwks_rsa_alg_and_output_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, keys: dict) -> None:
    pem = tmp_path / "rsa.pem"
    pem.write_bytes(keys["rsa"].public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out, _ = run(capsys, "jwks", str(pem))
    assert code == 0 and "alg" not in json.loads(out)["keys"][0]  # RSA: RS*/PS* all possible
    target = tmp_path / "jwks.json"
    assert run(capsys, "jwks", str(pem), "--alg", "PS256", "--out", str(target)) == (0, "", "")
    assert json.loads(target.read_text())["keys"][0]["alg"] == "PS256"
    code, _, err = run(capsys, "jwks", str(pem), "--out", str(target))
    assert code == 1 and "exists (use --force to replace it)" in err
    assert run(capsys, "jwks", str(pem), "--out", str(target), "--force")[0] == 0
    assert "alg" not in json.loads(target.read_text())["keys"][0]


@pytest.mark.parametrize(
    ("content", "args", "reason"),
    [
        (b"hello", [], "not a usable public key (ValueError)"),
        (b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", [], "not a usable public key (ValueError)"),
        (None, ["--alg", "ES256"], "not a usable public key (JWK of type RSA cannot be used with 'ES256')"),
    ],
)
def test_jwks_refuses_what_is_not_a_key(capsys: pytest.CaptureFixture[str], tmp_path: Path, keys: dict,
                                        content: bytes, args: list, reason: str) -> None:
    pem = tmp_path / "in.pem"
    pem.write_bytes(content or keys["rsa"].public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    code, out, err = run(capsys, "jwks", str(pem), *args)
    assert (code, out) == (2, "")
    assert err.strip() == f"fastjwt jwks: {pem}: {reason}"
    assert "AAAA" not in err
    code, _, err = run(capsys, "jwks", str(tmp_path / "missing.pem"))
    missing = tmp_path / "missing.pem"
    assert code == 2 and err.strip() == f"fastjwt jwks: cannot read {missing}: No such file or directory"


# verify --jwks / --json ----------------------------------------------------------------


def _two_key_jwks(keys: dict) -> dict:
    return {"keys": [key_to_jwk(keys["p256"].public_key(), kid="a", alg="ES256"),
                     key_to_jwk(keys["ed25519"].public_key(), kid="b", alg="EdDSA")]}


def test_verify_with_a_jwks_file_picks_the_key_by_kid(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      keys: dict) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(_two_key_jwks(keys)))
    token_b = fastjwt.encode({"sub": "b", "aud": "api"}, keys["ed25519"], algorithm="EdDSA", headers={"kid": "b"})
    code, out, _ = run(capsys, "verify", token_b, "--jwks", str(path), "--alg", "ES256", "--alg", "EdDSA",
                       "--aud", "api", "--json")
    assert code == 0
    report = json.loads(out)
    assert (report["valid"], report["header"]["kid"], report["payload"]) == (True, "b", {"sub": "b", "aud": "api"})
    wrong_kid = fastjwt.encode({"sub": "b"}, keys["ed25519"], algorithm="EdDSA", headers={"kid": "a"})
    code, out, _ = run(capsys, "verify", wrong_kid, "--jwks", f"@{path}", "--alg", "ES256", "--alg", "EdDSA")
    assert (code, out.startswith("rejected: ")) == (1, True)
    unknown = fastjwt.encode({"sub": "b"}, keys["ed25519"], algorithm="EdDSA", headers={"kid": "zz"})
    code, out, _ = run(capsys, "verify", unknown, "--jwks", str(path), "--alg", "EdDSA", "--json")
    assert code == 1
    assert json.loads(out) == {"valid": False, "error": "KeyNotFoundError",
                               "message": "Unable to find a signing key that matches: 'zz'"}


def test_verify_json_rejection_shape(capsys: pytest.CaptureFixture[str]) -> None:
    token = fastjwt.encode({"sub": "a", "exp": 1}, HMAC_SECRET)
    code, out, _ = run(capsys, "verify", token, "--key", SECRET, "--alg", "HS256", "--json")
    assert code == 1
    assert json.loads(out) == {"valid": False, "error": "ExpiredSignatureError", "message": "Signature has expired"}
    assert token not in out and SECRET not in out


def test_verify_bad_jwks_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text('{"keys": []}')
    code, out, err = usage(capsys, "verify", "x.y.z", "--jwks", str(path), "--alg", "ES256")
    assert (code, out) == (2, "")
    assert err.startswith("fastjwt: unusable JWKS: PyJWKSetError: ")


@pytest.mark.network
def test_verify_with_a_jwks_url(capsys: pytest.CaptureFixture[str], keys: dict) -> None:
    token = fastjwt.encode({"sub": "a"}, keys["p256"], algorithm="ES256", headers={"kid": "a"})
    with JWKSServer() as server:
        server.jwks = _two_key_jwks(keys)
        assert run(capsys, "verify", token, "--jwks", server.url, "--alg", "ES256", "-q") == (0, "", "")
        assert server.requests == 1
        server.status = 503
        url = server.url
    code, out, err = usage(capsys, "verify", token, "--jwks", url, "--alg", "ES256")
    assert (code, out) == (2, "")
    assert err.startswith("fastjwt: cannot load the JWKS: PyJWKClientConnectionError: ")


# inspect warnings --------------------------------------------------------------------------


def _unverifiable(header: dict, claims: dict) -> str:
    """A token with any header (inspect never checks the signature)."""
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}." + ("" if header["alg"] == "none" else "c2lnbmF0dXJl")


@pytest.mark.parametrize(
    ("header", "claims", "warnings"),
    [
        ({"alg": "HS256"}, {"sub": "a", "iat": 0, "exp": 4102444800, "nbf": 0},
         ["lifetime over a day: 47482 d from iat to exp"]),
        ({"alg": "none"}, {"exp": 1}, ["alg is none: the token is unsigned; no verifier may accept it", "expired"]),
        ({"alg": "HS256"}, {"sub": "a"}, ["no exp claim: the token never expires"]),
        ({"alg": "RS256", "jku": "https://evil.example/keys", "x5u": "https://evil.example/cert"}, {"exp": "soon"},
         ["header has jku: a verifier must never fetch keys from a URL the token names",
          "header has x5u: a verifier must never fetch keys from a URL the token names",
          "no exp claim: the token never expires"]),
        ({"alg": "ES256"}, {"nbf": "NOW+7200", "exp": "NOW+3600000"},
         ["not valid for another 2 h (nbf)", "lifetime over a day: 41.6 d from nbf to exp"]),
        ({"alg": "ES256"}, {"iat": "NOW", "exp": "NOW+86000"}, []),
        ({"alg": "ES256"}, {"exp": "NOW+172800"}, ["lifetime over a day: expires in 2 d"]),
    ],
)
def test_inspect_warnings(capsys: pytest.CaptureFixture[str], header: dict, claims: dict, warnings: list) -> None:
    now = int(time.time())
    for name, value in claims.items():
        if isinstance(value, str) and value.startswith("NOW"):
            claims[name] = now + int(value[4:] or 0) + (30 if name == "exp" else 0)
    code, out, err = run(capsys, "inspect", _unverifiable(header, claims))
    assert code == 0
    reported = json.loads(out)["warnings"]
    if "expired" in warnings:  # "expired N ago": N depends on today
        assert reported[0] == warnings[0] and reported[1].startswith("expired ") and reported[1].endswith(" d ago")
        assert len(reported) == 2
    else:
        assert reported == warnings
    assert err.splitlines() == [f"warning: {w}" for w in reported] + [
        "NOT VERIFIED: the signature and claims were not checked."]


# bench -------------------------------------------------------------------------------------


def test_bench_builtin_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "bench", "--builtin", "--json", "--repeats", "1")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert [(r["alg"], r["path"]) for r in rows] == [
        (alg, path) for alg in ("HS256", "ES256")
        for path in ("Validator cache hit", "Validator, cache off", "fastjwt.decode")]
    assert all(r["us_per_call"] > 0 and r["calls_per_s"] > 0 for r in rows)
    assert [r["speedup_vs_decode"] for r in rows if r["path"] == "fastjwt.decode"] == [1.0, 1.0]


def test_bench_builtin_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "bench", "--builtin", "--repeats", "1")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "| alg | path | µs/call | calls/s | × fastjwt.decode |"
    assert len(lines) == 8 and lines[2].startswith("| HS256 | Validator cache hit | ")
    assert "best of 1 repeats" in err


def _fake_checkout(root: Path) -> Path:
    (root / "bench").mkdir(parents=True)
    (root / "bench" / "__init__.py").write_text("")
    (root / "bench" / "compare.py").write_text("")
    return root


def test_bench_finds_the_checkout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    # Installed (site-packages, as in CI): neither the current directory nor the package's is a checkout.
    monkeypatch.setattr(_cli_bench, "__file__", str(tmp_path / "site" / "fastjwt" / "_cli_bench.py"))
    assert _cli_bench.checkout_root() is None
    # Imported from a checkout's src/: found through the package's location.
    checkout = _fake_checkout(tmp_path / "checkout")
    monkeypatch.setattr(_cli_bench, "__file__", str(checkout / "src" / "fastjwt" / "_cli_bench.py"))
    assert _cli_bench.checkout_root() == checkout
    # The current directory comes first.
    _fake_checkout(elsewhere)
    assert _cli_bench.checkout_root() == elsewhere


def test_bench_runs_the_suite_from_a_checkout(capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    # A stand-in suite in a checkout-like directory: checks the command line and the fastjwt it imports.
    (tmp_path / "bench").mkdir()
    (tmp_path / "bench" / "__init__.py").write_text("")
    (tmp_path / "bench" / "compare.py").write_text(
        "import sys, fastjwt\nprint('suite', sys.argv[1:], fastjwt.__file__)\nraise SystemExit(3)\n")
    monkeypatch.chdir(tmp_path)
    assert main(["bench"]) == 3
    out, err = capfd.readouterr()
    assert out.strip() == f"suite ['--quick'] {fastjwt.__file__}"
    assert err.strip() == f"fastjwt bench: running python -m bench.compare --quick in {tmp_path}"


def test_demo_without_grpc_says_which_extra() -> None:
    # grpc made unimportable: the demo explains what to install; the other commands never import grpc.
    code = ("import sys; sys.modules['grpc'] = None; from fastjwt.cli import main; "
            "rc = main(['demo']); print(sorted(m for m in sys.modules if m.startswith('fastjwt.demo'))); sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("fastjwt demo needs the grpc extra (pip install 'fastjwt-validator[grpc]'): ")
    assert result.stdout.strip() == "['fastjwt.demo']"
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
