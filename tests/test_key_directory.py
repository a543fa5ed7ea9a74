"""DirectoryKeySource: key rotation by dropping files into a directory."""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

import fastjwt
from fastjwt import InvalidSignatureError, KeyNotFoundError, KeySet, KeySource, Validator
from fastjwt.jwk import key_to_jwk
from fastjwt.key_directory import DirectoryKeySource

WAIT = 5.0  # seconds: the bound on every wait for a background thread


class FakeClock:
    """A monotonic clock the test advances by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 10.0) -> None:
        self.now += seconds


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def private_pem(key: Any) -> bytes:
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def write(path: Path, data: Any) -> None:
    """Write the way operators should: a hidden temporary file, then an atomic rename."""
    if isinstance(data, (dict, list)):
        data = json.dumps(data)
    if isinstance(data, str):
        data = data.encode()
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def token(key: Any, kid: str, n: int = 0, alg: str = "ES256") -> str:
    return fastjwt.encode({"sub": "alice", "n": n}, key, algorithm=alg, headers={"kid": kid})


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.002)


def by_kid(source: DirectoryKeySource) -> Dict[Any, Any]:
    return {key.kid: key for key in source.key_set()}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="module")
def key_a() -> Any:
    return new_key()


@pytest.fixture(scope="module")
def key_b() -> Any:
    return new_key()


# ---------------------------------------------------------------- rotation


def test_rotation_a_then_a_and_b_then_b(tmp_path: Path, clock: FakeClock, key_a: Any, key_b: Any) -> None:
    write(tmp_path / "a.pem", public_pem(key_a))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    assert isinstance(source, KeySource)
    validator = Validator(keys=source, algorithms=["ES256"])
    token_a, token_b = token(key_a, "a"), token(key_b, "b")
    assert validator.decode(token_a)["sub"] == "alice"
    with pytest.raises(KeyNotFoundError):
        validator.decode(token_b)

    # Overlap: B dropped in (as a JWK). The next poll picks it up; both keys verify.
    write(tmp_path / "b.jwk", key_to_jwk(key_b.public_key(), kid="b", alg="ES256"))
    clock.advance()
    assert validator.decode(token_a)["sub"] == "alice"  # served from the cache
    assert validator.decode(token_b)["sub"] == "alice"
    assert sorted(by_kid(source)) == ["a", "b"]

    # A removed: once the poll interval has passed, A's tokens (even cached ones) are refused.
    (tmp_path / "a.pem").unlink()
    assert validator.decode(token_a)["sub"] == "alice"  # not rescanned yet: within the interval
    clock.advance()
    with pytest.raises(KeyNotFoundError):
        validator.decode(token_a)
    with pytest.raises(KeyNotFoundError):
        validator.decode(token(key_a, "a", n=1))
    assert validator.decode(token_b)["sub"] == "alice"
    assert sorted(by_kid(source)) == ["b"]


def test_unknown_kid_forces_a_throttled_rescan(tmp_path: Path, clock: FakeClock, key_a: Any, key_b: Any) -> None:
    write(tmp_path / "a.pem", public_pem(key_a))
    validator = Validator(keys=DirectoryKeySource(tmp_path, poll_interval=10, clock=clock), algorithms=["ES256"])
    # A key dropped in is found at once by the first token naming it: no waiting for the poll.
    write(tmp_path / "b.pem", public_pem(key_b))
    assert validator.decode(token(key_b, "b"))["sub"] == "alice"
    # That forced rescan used the interval's allowance: a made-up kid, then a real new one.
    key_c = new_key()
    write(tmp_path / "c.pem", public_pem(key_c))
    with pytest.raises(KeyNotFoundError):
        validator.decode(token(key_c, "c"))
    clock.advance()
    assert validator.decode(token(key_c, "c"))["sub"] == "alice"


def test_key_set_polls_at_most_once_per_interval(tmp_path: Path, clock: FakeClock, key_a: Any) -> None:
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    write(tmp_path / "a.pem", public_pem(key_a))
    clock.advance(9.9)
    assert len(source.key_set()) == 0
    clock.advance(0.1)
    assert list(by_kid(source)) == ["a"]


@pytest.mark.parametrize("background", [False, True], ids=["inline-poll", "thread-poll"])
def test_concurrent_validation_sees_no_wrong_rejection(tmp_path: Path, key_a: Any, key_b: Any,
                                                        background: bool) -> None:
    write(tmp_path / "a.pem", public_pem(key_a))
    source = DirectoryKeySource(tmp_path, poll_interval=0.002)
    if background:
        source.start()
    validator = Validator(keys=source, algorithms=["ES256"])
    # Distinct tokens, so most decodes verify a signature rather than hit the cache.
    tokens_a = [token(key_a, "a", n) for n in range(40)]
    tokens_b = [token(key_b, "b", n) for n in range(40)]
    use_a, use_b, stop = threading.Event(), threading.Event(), threading.Event()
    use_a.set()
    iterations = [0]
    errors: List[str] = []

    def worker() -> None:
        while not stop.is_set():
            n = iterations[0]
            # Only tokens whose key file is present for the whole decode call.
            for flag, kid, tokens in ((use_a, "a", tokens_a), (use_b, "b", tokens_b)):
                if flag.is_set():
                    try:
                        validator.decode(tokens[n % len(tokens)])
                    except Exception as err:  # noqa: BLE001  # any rejection is a failure
                        errors.append(repr(err))
                    # The swap is atomic: no reader ever sees a set without the key.
                    if not source.key_set().has_kid(kid):
                        errors.append(f"key set without {kid}")
            iterations[0] = n + 1

    def let_worker_pass(rounds: int = 3) -> None:
        start = iterations[0]
        wait_until(lambda: iterations[0] >= start + rounds, "the validating thread")

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    try:
        let_worker_pass()
        write(tmp_path / "b.pem", public_pem(key_b))
        wait_until(lambda: source.key_set().has_kid("b"), "key b to load")
        use_b.set()
        let_worker_pass(len(tokens_b))  # overlap: both keys verify
        use_a.clear()
        let_worker_pass()  # no decode of an A token can still be running
        (tmp_path / "a.pem").unlink()
        wait_until(lambda: not source.key_set().has_kid("a"), "key a to go")
        let_worker_pass(len(tokens_b))
    finally:
        stop.set()
        thread.join(WAIT)
        source.stop(WAIT)
    assert not thread.is_alive()
    assert errors == []
    with pytest.raises(KeyNotFoundError):
        validator.decode(tokens_a[0])


def test_background_thread_reloads_and_stops(tmp_path: Path, key_a: Any) -> None:
    with DirectoryKeySource(tmp_path, poll_interval=0.005) as source:
        assert source._thread is not None and source._thread.daemon
        with pytest.raises(RuntimeError):
            source.start()
        write(tmp_path / "a.pem", public_pem(key_a))
        wait_until(lambda: source.key_set().has_kid("a"), "the poller to load key a")
        thread = source._thread
    assert source._thread is None and not thread.is_alive()


# ---------------------------------------------------------------- fail safe


def test_malformed_new_version_keeps_the_previous_one(tmp_path: Path, clock: FakeClock, key_a: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "a.pem", public_pem(key_a))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    validator = Validator(keys=source, algorithms=["ES256"])
    old = by_kid(source)["a"]
    garbage = (
        b"-----BEGIN PUBLIC KEY-----\n"
        b"TUlJQ0lqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQ0FnOEFNSUlDQ2dLQ0FnRUE=\n"
        b"-----END PUBLIC KEY-----\n"
    )
    with caplog.at_level(logging.INFO, logger="fastjwt.keys"):
        write(tmp_path / "a.pem", garbage)
        clock.advance()
        assert by_kid(source)["a"] is old
        assert validator.decode(token(key_a, "a"))["sub"] == "alice"
        clock.advance()
        source.key_set()  # the failed version is not retried (nor logged) again
    failures = [r for r in caplog.records if r.name == "fastjwt.keys" and r.levelno == logging.WARNING]
    assert len(failures) == 1 and "a.pem" in failures[0].getMessage()
    assert "TUlJ" not in caplog.text

    # A good new version replaces it.
    key_c = new_key()
    write(tmp_path / "a.pem", public_pem(key_c))
    clock.advance()
    assert by_kid(source)["a"] is not old
    assert validator.decode(token(key_c, "a"))["sub"] == "alice"
    with pytest.raises(InvalidSignatureError):
        validator.decode(token(key_a, "a", n=2))


@pytest.mark.parametrize("name,content", [
    ("bad.pem", b"not a key"),
    ("bad.jwk", b"{not json"),
    ("bad.json", b"\xff\xfe"),
    ("bad2.json", json.dumps({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"})),
    ("enc.jwk", "ENC"),
    ("big.pem", b"x" * ((1 << 20) + 1)),
    ("set.json", json.dumps({"keys": [{"kty": "nope"}]})),
    ("notaset.json", json.dumps({"keys": {"kty": "EC"}})),
])
def test_a_file_that_never_loads_is_ignored_and_logged(tmp_path: Path, clock: FakeClock, key_a: Any, name: str,
                                                        content: Any, caplog: pytest.LogCaptureFixture) -> None:
    if content == "ENC":
        content = {**key_to_jwk(key_a.public_key()), "use": "enc"}
    write(tmp_path / "a.pem", public_pem(key_a))
    write(tmp_path / name, content)
    with caplog.at_level(logging.WARNING, logger="fastjwt.keys"):
        source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    assert list(by_kid(source)) == ["a"]
    assert f"Ignoring key file {name}" in caplog.text
    # Fixing the file later loads it.
    write(tmp_path / name, public_pem(key_a) if name.endswith(".pem") else key_to_jwk(key_a.public_key()))
    clock.advance()
    assert len(source.key_set()) == 2


def test_vanished_directory_keeps_serving(tmp_path: Path, clock: FakeClock, key_a: Any,
                                          caplog: pytest.LogCaptureFixture) -> None:
    directory = tmp_path / "keys"
    directory.mkdir()
    write(directory / "a.pem", public_pem(key_a))
    source = DirectoryKeySource(directory, poll_interval=10, clock=clock)
    before = source.key_set()
    shutil.rmtree(directory)
    clock.advance()
    with caplog.at_level(logging.ERROR, logger="fastjwt.keys"):
        assert source.key_set() is before
    assert "keeping the current keys" in caplog.text


def test_missing_directory_fails_at_startup(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        DirectoryKeySource(tmp_path / "nowhere")
    (tmp_path / "file").write_text("")
    with pytest.raises(NotADirectoryError):
        DirectoryKeySource(tmp_path / "file")
    with pytest.raises(ValueError):
        DirectoryKeySource(tmp_path, poll_interval=-1)
    with pytest.raises(ValueError):
        DirectoryKeySource(tmp_path, poll_interval=0).start()


# ---------------------------------------------------------------- identity


def test_unchanged_files_keep_their_key_objects(tmp_path: Path, clock: FakeClock, key_a: Any, key_b: Any) -> None:
    write(tmp_path / "a.pem", public_pem(key_a))
    write(tmp_path / "b.pem", public_pem(key_b))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    validator = Validator(keys=source, algorithms=["ES256"])
    before = by_kid(source)
    set_before = source.key_set()
    token_a = token(key_a, "a")
    validator.decode(token_a)

    clock.advance()
    assert source.key_set() is set_before  # nothing changed: not even a new KeySet

    write(tmp_path / "b.pem", public_pem(new_key()))
    clock.advance()
    after = by_kid(source)
    assert after["a"] is before["a"] and after["b"] is not before["b"]
    hits = validator.cache_info().hits
    validator.decode(token_a)
    assert validator.cache_info().hits == hits + 1  # the cached verification survived the reload

    # Rewritten with identical content (new inode and mtime): still the same Key.
    write(tmp_path / "a.pem", public_pem(key_a))
    os.utime(tmp_path / "a.pem", ns=(1, 1))
    clock.advance()
    assert by_kid(source)["a"] is before["a"]


def test_in_place_edit_is_noticed(tmp_path: Path, clock: FakeClock, key_a: Any) -> None:
    path = tmp_path / "a.pem"
    path.write_bytes(public_pem(key_a))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    old = by_kid(source)["a"]
    key_c = new_key()
    path.write_bytes(public_pem(key_c))  # same inode, same size
    os.utime(path, ns=(10**18, 10**18))  # a distinct mtime, whatever the filesystem's granularity
    clock.advance()
    assert by_kid(source)["a"] is not old
    assert Validator(keys=source, algorithms=["ES256"]).decode(token(key_c, "a"))["sub"] == "alice"


# ---------------------------------------------------------------- file kinds


def test_file_kinds_and_kids(tmp_path: Path, clock: FakeClock, keys: Dict[str, Any]) -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    p384 = keys["p384"]
    write(tmp_path / "2026-11.pem", public_pem(keys["rsa"]))
    write(tmp_path / "named.jwk", key_to_jwk(ed.public_key(), kid="ed-1"))
    write(tmp_path / "anonymous.json", key_to_jwk(p384.public_key()))
    write(tmp_path / "set.json", {"keys": [
        key_to_jwk(keys["p521"].public_key(), kid="s1", alg="ES512"),
        {**key_to_jwk(keys["p256"].public_key(), kid="s2"), "use": "enc"},  # skipped, not fatal
        key_to_jwk(keys["k256"].public_key()),  # no kid: the file stem
    ]})
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    kids = sorted(by_kid(source))
    assert kids == ["2026-11", "anonymous", "ed-1", "s1", "set"]
    assert by_kid(source)["s1"].algorithms == ("ES512",)

    validator = Validator(keys=source, algorithms=["RS256", "PS256", "EdDSA", "ES384", "ES512", "ES256K"])
    cases = [(keys["rsa"], "2026-11", "RS256"), (keys["rsa"], "2026-11", "PS256"), (ed, "ed-1", "EdDSA"),
             (p384, "anonymous", "ES384"), (keys["p521"], "s1", "ES512"), (keys["k256"], "set", "ES256K")]
    for key, kid, alg in cases:
        assert validator.decode(token(key, kid, alg=alg))["sub"] == "alice"


def test_ignored_entries(tmp_path: Path, clock: FakeClock, key_a: Any) -> None:
    write(tmp_path / ".hidden.pem", public_pem(key_a))
    write(tmp_path / "notes.txt", public_pem(key_a))
    write(tmp_path / "a.pem~", public_pem(key_a))
    write(tmp_path / "a.pem.bak", public_pem(key_a))
    (tmp_path / "sub.pem").mkdir()
    write(tmp_path / "sub.pem" / "inner.pem", public_pem(key_a))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    assert len(source.key_set()) == 0
    # A symlink to a key file counts (Kubernetes volumes are made of them).
    (tmp_path / "link.pem").symlink_to(tmp_path / ".hidden.pem")
    clock.advance()
    assert list(by_kid(source)) == ["link"]


def test_private_key_files_yield_only_public_keys(tmp_path: Path, clock: FakeClock, keys: Dict[str, Any],
                                                  caplog: pytest.LogCaptureFixture) -> None:
    ed = ed25519.Ed25519PrivateKey.generate()
    write(tmp_path / "rsa.pem", private_pem(keys["rsa"]))
    write(tmp_path / "ed.pem", ed.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEncryption()))
    write(tmp_path / "ec.jwk", key_to_jwk(keys["p256"], kid="ec", include_private=True))
    write(tmp_path / "hmac.jwk", {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", "kid": "h"})
    with caplog.at_level(logging.WARNING, logger="fastjwt.keys"):
        source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    found = by_kid(source)
    # OpenSSH-format private keys are not PEM key formats we load: logged, not used.
    assert sorted(found) == ["ec", "rsa"]
    for key in found.values():
        assert not hasattr(key.public_key, "private_bytes"), key
    assert "rsa.pem holds a private key" in caplog.text and "ec.jwk holds a private JWK" in caplog.text
    assert "hmac.jwk" in caplog.text and "oct" in caplog.text
    private_b64 = key_to_jwk(keys["p256"], include_private=True)["d"]
    assert private_b64 not in caplog.text and "c2VjcmV0" not in caplog.text
    validator = Validator(keys=source, algorithms=["RS256", "ES256"])
    assert validator.decode(token(keys["rsa"], "rsa", alg="RS256"))["sub"] == "alice"
    assert validator.decode(token(keys["p256"], "ec"))["sub"] == "alice"


def test_certificate_file(tmp_path: Path, clock: FakeClock, key_a: Any) -> None:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "issuer")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key_a.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key_a, hashes.SHA256()))
    write(tmp_path / "cert.pem", cert.public_bytes(Encoding.PEM))
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    assert Validator(keys=source, algorithms=["ES256"]).decode(token(key_a, "cert"))["sub"] == "alice"


def test_duplicate_kids_are_logged_and_both_tried(tmp_path: Path, clock: FakeClock, key_a: Any, key_b: Any,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    write(tmp_path / "x.pem", public_pem(key_a))
    write(tmp_path / "x.jwk", key_to_jwk(key_b.public_key()))
    with caplog.at_level(logging.WARNING, logger="fastjwt.keys"):
        source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    assert "Several keys share kid 'x'" in caplog.text
    validator = Validator(keys=source, algorithms=["ES256"])
    assert validator.decode(token(key_a, "x"))["sub"] == validator.decode(token(key_b, "x"))["sub"] == "alice"


def test_refresh_and_repr(tmp_path: Path, clock: FakeClock, key_a: Any) -> None:
    source = DirectoryKeySource(tmp_path, poll_interval=10, clock=clock)
    write(tmp_path / "a.pem", public_pem(key_a))
    assert isinstance(source.refresh(), KeySet) and source.key_set().has_kid("a")
    assert "BEGIN" not in repr(source) and "keys=1" in repr(source)
