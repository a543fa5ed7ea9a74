"""The module-level decode cache (fastjwt.decode_cache): what keys it, what bypasses it,
its bounds and its switch. Equality with PyJWT over the whole table, cached and
uncached, is in test_compat_pyjwt.py."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import time
import warnings
import weakref
from datetime import timedelta
from typing import Any, Dict, Iterator, List

import pytest
from _support import HMAC_SECRET
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import fastjwt
from fastjwt._safe_text import describe
from fastjwt.algorithms import HMACAlgorithm

ALGORITHMS = ["HS256"]


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    fastjwt.configure(decode_cache=True, decode_cache_validators=8, decode_cache_size=4096)
    yield
    fastjwt.configure(decode_cache=True, decode_cache_validators=8, decode_cache_size=4096)


class Clock:
    """time.time, set by the test (the cache and the uncached path both read time.time)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(time.time())
    monkeypatch.setattr(time, "time", fake)
    return fake


def token(claims: Dict[str, Any], key: Any = HMAC_SECRET, alg: str = "HS256", **kw: Any) -> str:
    return fastjwt.encode(claims, key, algorithm=alg, **kw)


def info() -> fastjwt.DecodeCacheInfo:
    return fastjwt.decode_cache_info()


def decode_n(times: int, *args: Any, **kwargs: Any) -> List[Any]:
    return [fastjwt.decode(*args, **kwargs) for _ in range(times)]


# --------------------------------------------------------------------------- hits


def test_a_repeated_call_is_answered_by_one_validator() -> None:
    tok = token({"sub": "alice", "exp": int(time.time()) + 600})
    assert info() == fastjwt.DecodeCacheInfo(True, 0, 0, 0, 8 * 4096, 0, 8, info().bypassed)
    bypassed = info().bypassed
    first = fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().validators == 0 and info().bypassed == bypassed + 1  # first sighting: uncached
    # Equal values in new objects: the same signature.
    claims = decode_n(3, "".join(tok), bytes(bytearray(HMAC_SECRET)), algorithms=list(ALGORITHMS))
    assert claims == [first] * 3
    assert info()[:7] == (True, 2, 1, 1, 8 * 4096, 1, 8)
    assert claims[1] is not claims[2]  # a new dict per call
    claims[1]["sub"] = "mallory"
    assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)["sub"] == "alice"


def test_decode_complete_shares_the_validator_and_returns_pyjwts_shape() -> None:
    tok = token({"sub": "alice"}, headers={"kid": "k1"})
    results = [fastjwt.decode_complete(tok, HMAC_SECRET, algorithms=ALGORITHMS) for _ in range(3)]
    assert info().validators == 1 and info().hits == 1
    for result in results:
        assert list(result) == ["payload", "header", "signature"]
        assert result["payload"] == {"sub": "alice"}
        assert result["header"] == {"alg": "HS256", "kid": "k1", "typ": "JWT"}
        assert result["signature"] == fastjwt.utils.base64url_decode(tok.split(".")[2])
    assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS) == {"sub": "alice"}
    assert info().validators == 1 and info().hits == 2


def test_an_expired_cached_token_raises_pyjwts_error(clock: Clock) -> None:
    tok = token({"sub": "alice", "exp": int(clock.now) + 10, "nbf": int(clock.now)})
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().hits == 1
    clock.now += 10  # exp == now is expired, as in PyJWT
    for _ in range(2):
        with pytest.raises(fastjwt.ExpiredSignatureError, match="^Signature has expired$"):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    # Leeway, and verify_exp off, are other signatures: they decide for themselves.
    assert decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=timedelta(seconds=5))[2]["sub"] == "alice"
    unchecked = decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})
    assert unchecked[2]["sub"] == "alice"
    with pytest.raises(fastjwt.ExpiredSignatureError, match="^Signature has expired$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    clock.now -= 20  # before nbf: a cached token is judged against the clock on every hit
    with pytest.raises(fastjwt.ImmatureSignatureError, match=r"^The token is not yet valid \(nbf\)$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})


def test_a_forged_token_stays_refused() -> None:
    tok = token({"sub": "alice"})
    forged = tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB")
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    for _ in range(3):
        with pytest.raises(fastjwt.InvalidSignatureError, match="^Signature verification failed$"):
            fastjwt.decode(forged, HMAC_SECRET, algorithms=ALGORITHMS)


@pytest.mark.parametrize(
    "first, second",
    [
        ({"audience": "a"}, {"audience": "b"}),
        ({"audience": ["a"]}, {"audience": ["b"]}),
        ({"issuer": "i"}, {"issuer": "j"}),
        ({"issuer": ["i"]}, {"issuer": ["j"]}),
        ({"subject": "alice"}, {"subject": "bob"}),
        ({"leeway": 0, "options": {"verify_exp": True}}, {"leeway": 10**9, "options": {"verify_exp": True}}),
        ({"options": {"verify_aud": True}, "audience": "b"}, {"options": {"verify_aud": False}, "audience": "b"}),
        ({"options": {"require": ["sub"]}}, {"options": {"require": ["jti"]}}),
        ({"options": {"strict_aud": False}, "audience": ["a"]}, {"options": {"strict_aud": True}, "audience": ["a"]}),
        ({"algorithms": ["HS256"]}, {"algorithms": ["HS512"]}),
        ({"key": HMAC_SECRET}, {"key": HMAC_SECRET + b"!"}),
    ],
    ids=["audience", "audience-list", "issuer", "issuer-list", "subject", "leeway", "verify_aud", "require",
         "strict_aud", "algorithms", "key"],
)
def test_every_argument_keys_the_memo(first: Dict[str, Any], second: Dict[str, Any]) -> None:
    tok = token({"sub": "alice", "aud": "a", "iss": "i", "exp": int(time.time()) - 5})
    base: Dict[str, Any] = {"key": HMAC_SECRET, "algorithms": ALGORITHMS, "audience": "a",
                            "options": {"verify_exp": False}}

    def outcome(extra: Dict[str, Any]) -> str:
        kwargs = {**base, **extra}
        if "options" in extra:
            kwargs["options"] = {**base["options"], **extra["options"]}
        key = kwargs.pop("key")
        try:
            return repr(fastjwt.decode(tok, key, **kwargs))
        except Exception as error:  # noqa: BLE001 - compared as text
            return f"{type(error).__name__}: {error}"

    expected = []
    fastjwt.configure(decode_cache=False)
    expected = [outcome(first), outcome(second)]
    assert expected[0] != expected[1]  # the two calls do decide differently
    fastjwt.configure(decode_cache=True)
    for _ in range(3):
        assert [outcome(first), outcome(second)] == expected
    assert info().validators == 2


def test_key_objects_are_keyed_by_identity_and_str_keys_by_value() -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    tok = token({"sub": "alice"}, private, "ES256")
    public_a = private.public_key()
    public_b = serialization.load_der_public_key(
        public_a.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    for key in (public_a, public_b):
        decode_n(3, tok, key, algorithms=["ES256"])
    assert info().validators == 2
    secret = HMAC_SECRET.decode()
    tok = token({"sub": "alice"})
    for secret_form in (secret, "".join(list(secret)), HMAC_SECRET, bytes(bytearray(HMAC_SECRET))):
        decode_n(3, tok, secret_form, algorithms=ALGORITHMS)
    assert info().validators == 4  # one for the str, one for the bytes


def test_key_objects_are_held_no_longer_than_the_memo_bound() -> None:
    fastjwt.configure(decode_cache_validators=3)
    refs = []
    for index in range(20):
        jwk = fastjwt.PyJWK({"kty": "oct", "k": fastjwt.utils.base64url_encode(HMAC_SECRET + bytes([index])).decode()})
        refs.append(weakref.ref(jwk))
        tok = token({"i": index}, HMAC_SECRET + bytes([index]))
        assert decode_n(2, tok, jwk) == [{"i": index}] * 2  # a PyJWK brings its algorithm
        del jwk
    gc.collect()
    alive = sum(ref() is not None for ref in refs)
    assert info().validators == 3
    assert alive <= 3 + 64  # entries, plus signatures waiting for a second sighting
    fastjwt.decode_cache_clear()
    gc.collect()
    assert sum(ref() is not None for ref in refs) == 0


def test_the_memo_is_bounded_and_keeps_the_busiest_validator() -> None:
    fastjwt.configure(decode_cache_validators=2)
    hot = token({"sub": "hot"})
    decode_n(10, hot, HMAC_SECRET, algorithms=ALGORITHMS)
    for audience in ("a", "b", "c", "d"):
        decode_n(3, hot, HMAC_SECRET, algorithms=ALGORITHMS, audience=audience, options={"verify_aud": False})
        decode_n(2, hot, HMAC_SECRET, algorithms=ALGORITHMS)  # still in use
    assert info().validators == 2
    hits = info().hits
    fastjwt.decode(hot, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().hits == hits + 1  # the busiest survived the churn


def test_an_entry_busy_long_ago_gives_way_to_one_in_use_now() -> None:
    """A rotated-out key's validator, however many hits it once had, is evicted
    before the validators in use since the last eviction."""
    fastjwt.configure(decode_cache_validators=2)
    tok = token({"sub": "alice"})
    old = {"audience": None}
    decode_n(50, tok, HMAC_SECRET, algorithms=ALGORITHMS, **old)  # busy, then never again
    decode_n(5, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=1)
    decode_n(5, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=2)  # evicts leeway=1 (fewest hits)
    decode_n(5, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=2)
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=3)  # evicts the old one: no hits since
    hits = info().hits
    decode_n(1, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=2)
    decode_n(1, tok, HMAC_SECRET, algorithms=ALGORITHMS, leeway=3)
    assert info().hits == hits + 2 and info().validators == 2


def test_the_size_bounds_each_validator() -> None:
    fastjwt.configure(decode_cache_size=3)
    for index in range(10):
        decode_n(2, token({"i": index}), HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().currsize == 3 and info().maxsize == 8 * 3


def test_arguments_changed_in_place_between_calls_are_seen(clock: Clock) -> None:
    """The last signature answered is matched by value: a caller's list or dict
    changed in place after a cached call changes the verdict at once."""
    tok = token({"sub": "alice", "aud": "a", "exp": int(clock.now) - 5})
    options: Dict[str, Any] = {"verify_exp": False}
    audience = ["a"]
    algorithms = ["HS256"]
    for _ in range(3):
        assert (
            fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)["sub"]
            == "alice"
        )
    options["verify_exp"] = True
    with pytest.raises(fastjwt.ExpiredSignatureError, match="^Signature has expired$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)
    options["verify_exp"] = False
    audience[0] = "b"
    with pytest.raises(fastjwt.InvalidAudienceError, match="^Audience doesn't match$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)
    audience[0] = "a"
    algorithms[0] = "HS512"
    with pytest.raises(fastjwt.InvalidAlgorithmError, match="^The specified alg value is not allowed$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)
    algorithms[0] = "HS256"
    options["require"] = ["jti"]  # a list in the options: kept frozen, matched by value
    for _ in range(3):
        with pytest.raises(fastjwt.MissingRequiredClaimError, match='^Token is missing the "jti" claim$'):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)
    options["require"].clear()
    assert fastjwt.decode(tok, HMAC_SECRET, algorithms=algorithms, audience=audience, options=options)["sub"] == "alice"
    assert info().validators == 2  # the first signature and the require one; the others were seen once


def test_alternating_signatures_keep_their_own_verdicts() -> None:
    tok = token({"sub": "alice", "aud": "a"})
    for _ in range(5):
        assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience="a")["sub"] == "alice"
        with pytest.raises(fastjwt.InvalidAudienceError, match="^Audience doesn't match$"):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience="b")
        with pytest.raises(fastjwt.InvalidAudienceError, match="^Invalid audience$"):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
        assert fastjwt.PyJWT({"verify_aud": False}).decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)["sub"] == "alice"
    assert info().validators == 4  # PyJWT() instances with equal options share one


# --------------------------------------------------------------------------- what is never cached


def _deep_list(depth: int) -> List[Any]:
    deep: List[Any] = []
    for _ in range(depth):
        deep = [deep]
    return deep


def _never_cached(*args: Any, **kwargs: Any) -> None:
    for _ in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fastjwt.decode(*args, **kwargs)
            except Exception:  # noqa: BLE001 - the outcome is not the point here
                pass
    assert info().validators == 0, (args, kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"options": {"verify_signature": False}},
        {"verify": True},
        {"detached_payload": b"{}"},
        {"algorithms": "HS256"},
        {"algorithms": ["HS256", "none"]},
        {"algorithms": ["HS256", "XX1"]},
        {"algorithms": []},
        {"algorithms": None},
        {"algorithms": {"HS256"}},
        {"audience": {"a"}},
        {"audience": 5},
        {"issuer": {"i"}},
        {"subject": ["alice"]},
        {"leeway": float("nan")},
        {"leeway": "5"},
        {"options": {"require": [["nested"]], "x": {}}},
        {"options": {"x": _deep_list(100_000)}},
    ],
    ids=lambda kwargs: describe(kwargs, 70),
)
def test_calls_that_are_never_cached(kwargs: Dict[str, Any]) -> None:
    tok = token({"sub": "alice", "aud": "a", "iss": "i"})
    _never_cached(tok, HMAC_SECRET, **{"algorithms": ALGORITHMS, **kwargs})


def test_extra_kwargs_warn_on_every_call_cached_or_not() -> None:
    tok = token({"sub": "alice"})
    for _ in range(4):
        with pytest.warns(fastjwt.warnings.RemovedInPyjwt3Warning, match=r"Unsupported kwargs: \('foo',\)"):
            assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, foo="bar") == {"sub": "alice"}
    assert info().hits == 2  # decode warns, then its decode_complete (kwargs dropped) is cached


def test_short_keys_warn_on_every_call_and_are_never_cached() -> None:
    with pytest.warns(fastjwt.InsecureKeyLengthWarning):
        tok = token({"sub": "alice"}, b"short-secret")
    for _ in range(3):
        with pytest.warns(fastjwt.InsecureKeyLengthWarning, match="^The HMAC key is 12 bytes long"):
            assert fastjwt.decode(tok, b"short-secret", algorithms=ALGORITHMS) == {"sub": "alice"}
    assert info().validators == 0


def test_short_rsa_keys_warn_on_every_call_and_are_never_cached() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    public = private.public_key()
    with pytest.warns(fastjwt.InsecureKeyLengthWarning):
        tok = token({"sub": "alice"}, private, "RS256")
    for _ in range(3):
        with pytest.warns(fastjwt.InsecureKeyLengthWarning, match="^The RSA key is 1024 bits long"):
            assert fastjwt.decode(tok, public, algorithms=["RS256", "HS256"]) == {"sub": "alice"}
    for _ in range(3):
        with pytest.raises(fastjwt.InvalidKeyError, match="^The RSA key is 1024 bits long"):
            fastjwt.decode(tok, public, algorithms=["RS256"], options={"enforce_minimum_key_length": True})
    assert info().validators == 0


@pytest.mark.parametrize("algorithm", ["HS256", "RS256"])
def test_the_second_sighting_prepares_the_key_once(algorithm: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new signature's key is prepared by the uncached path (first sighting) and
    by its Validator (second), and by nothing else: not again to look for a short key."""
    import uuid

    from cryptography.hazmat.primitives.asymmetric import rsa

    from fastjwt.algorithms import RSAAlgorithm

    if algorithm == "HS256":
        family: Any = HMACAlgorithm
        signing: Any = f"a-secret-never-seen-before-{uuid.uuid4()}"
        verifying = signing
    else:
        family = RSAAlgorithm
        signing = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        verifying = signing.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")
    tok = token({"sub": "alice"}, signing, algorithm)
    prepared: List[Any] = []
    original = family.prepare_key

    def counting(self: Any, key: Any) -> Any:
        prepared.append(key)
        return original(self, key)

    monkeypatch.setattr(family, "prepare_key", counting)
    counts = []
    for _ in range(4):
        assert fastjwt.decode(tok, verifying, algorithms=[algorithm]) == {"sub": "alice"}
        counts.append(len(prepared))
    assert counts == [1, 2, 2, 2]  # uncached path; the Validator; hits
    assert info().validators == 1 and info().hits == 2


def test_arguments_whose_equality_or_hash_fails_never_change_the_outcome() -> None:
    class Moody(str):
        """A str subclass whose == raises once it has been used as an audience."""

        armed = False

        def __eq__(self, other: object) -> bool:
            if Moody.armed:
                raise RuntimeError("no comparisons today")
            return str.__eq__(self, other)

        __hash__ = str.__hash__

    class Unhashable:
        __hash__ = None  # type: ignore[assignment]

    tok = token({"sub": "alice", "aud": "a"})
    for _ in range(3):
        assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience="a") == {"sub": "alice", "aud": "a"}
    Moody.armed = True
    # Equal to the cached signature's arguments only through a raising ==: the
    # cache steps aside and the call decides as it would uncached.
    with pytest.raises(RuntimeError, match="^no comparisons today$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience=Moody("a"))
    fastjwt.configure(decode_cache=False)
    with pytest.raises(RuntimeError, match="^no comparisons today$"):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience=Moody("a"))
    fastjwt.configure(decode_cache=True)
    for _ in range(3):
        with pytest.raises(fastjwt.exceptions.InvalidSubjectError, match="^Invalid subject$"):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, audience="a", subject=Unhashable())  # type: ignore[arg-type]
    assert info().validators == 0  # an unhashable subject: never cached


def test_callables_and_other_key_types_are_never_cached() -> None:
    tok = token({"sub": "alice"})
    _never_cached(tok, lambda: HMAC_SECRET, algorithms=ALGORITHMS)
    _never_cached(tok, bytearray(HMAC_SECRET), algorithms=ALGORITHMS)
    _never_cached(tok, "k" * 20000, algorithms=ALGORITHMS)


def test_a_changed_registry_bypasses_the_cache_until_restored() -> None:
    tok = token({"sub": "alice"})
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().hits == 1
    original = fastjwt.get_algorithm_by_name("HS256")
    fastjwt.unregister_algorithm("HS256")
    try:
        for _ in range(3):
            with pytest.raises(fastjwt.InvalidAlgorithmError, match="^Algorithm not supported$"):
                fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
        # Another object under the name: not the built-in table, so never cached.
        fastjwt.register_algorithm("HS256", HMACAlgorithm(HMACAlgorithm.SHA256))
        hits = info().hits
        decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
        assert info().hits == hits
        fastjwt.unregister_algorithm("HS256")
    finally:
        fastjwt.register_algorithm("HS256", original)
    decode_n(1, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().hits == hits + 1  # the built-in table is back


def test_subclasses_run_their_hooks_on_every_call() -> None:
    calls: List[int] = []

    class Counting(fastjwt.PyJWT):
        def _decode_payload(self, decoded: Dict[str, Any]) -> Dict[str, Any]:
            calls.append(1)
            return super()._decode_payload(decoded)

    tok = token({"sub": "alice"})
    instance = Counting()
    for _ in range(3):
        assert instance.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS) == {"sub": "alice"}
        assert instance.decode_complete(tok, HMAC_SECRET, algorithms=ALGORITHMS)["payload"] == {"sub": "alice"}
    assert len(calls) == 6 and info().validators == 0


def test_patched_methods_run_on_every_call_until_restored() -> None:
    """mock.patch.object(PyJWT / PyJWS, ...) in an application's tests: the
    replacement runs (the cache steps aside), and the cache returns after."""
    from unittest import mock

    tok = token({"sub": "alice", "exp": int(time.time()) - 5})
    with pytest.raises(fastjwt.ExpiredSignatureError):
        fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    decode_n(2, tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})
    assert info().validators == 1
    with mock.patch.object(fastjwt.PyJWT, "_validate_claims") as skipped:
        for _ in range(3):
            assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)["sub"] == "alice"
        assert skipped.call_count == 3 and info().validators == 0
    for _ in range(3):
        with pytest.raises(fastjwt.ExpiredSignatureError):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().validators == 1  # restored: cached again
    with mock.patch.object(fastjwt.PyJWS, "_verify_signature", side_effect=fastjwt.InvalidSignatureError("patched")):
        for _ in range(3):
            with pytest.raises(fastjwt.InvalidSignatureError, match="^patched$"):
                fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})
    assert decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})[2]["sub"] == "alice"
    assert info().validators == 1
    # The same on one instance (the global one behind fastjwt.decode).
    with mock.patch.object(fastjwt.api_jwt._jwt_global_obj, "_validate_claims") as skipped:
        for _ in range(3):
            assert fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)["sub"] == "alice"
        assert skipped.call_count == 3
    for _ in range(3):
        with pytest.raises(fastjwt.ExpiredSignatureError):
            fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().hits >= 1
    jws = fastjwt.api_jws._jws_global_obj
    with mock.patch.object(jws, "_verify_signature", side_effect=fastjwt.InvalidSignatureError("patched")):
        for _ in range(3):
            with pytest.raises(fastjwt.InvalidSignatureError, match="^patched$"):
                fastjwt.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    hits = info().hits
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS, options={"verify_exp": False})
    assert info().hits >= hits + 1  # restored: cached again


def test_instance_options_too_deep_to_freeze_are_not_cached() -> None:
    instance = fastjwt.PyJWT({"x": _deep_list(100_000)})
    tok = token({"sub": "alice"})
    assert [instance.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS) for _ in range(3)] == [{"sub": "alice"}] * 3
    assert info().validators == 0


def test_instances_share_the_memo_and_their_options_key_it() -> None:
    exp = int(time.time()) - 5
    tok = token({"sub": "alice", "exp": exp})
    lenient = fastjwt.PyJWT({"verify_exp": False})
    assert [lenient.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS) for _ in range(3)] == [
        {"sub": "alice", "exp": exp}
    ] * 3
    assert info().validators == 1
    for _ in range(2):
        with pytest.raises(fastjwt.ExpiredSignatureError):
            fastjwt.PyJWT().decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    lenient.options["verify_exp"] = True  # a change to an instance's options is seen at once
    with pytest.raises(fastjwt.ExpiredSignatureError):
        lenient.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)
    lenient.options.update(verify_exp=False)
    assert lenient.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)["sub"] == "alice"
    lenient.options = {"verify_exp": True, **fastjwt.PyJWT().options}  # a plain dict: uncached, still right
    with pytest.raises(fastjwt.ExpiredSignatureError):
        lenient.decode(tok, HMAC_SECRET, algorithms=ALGORITHMS)


def test_the_switch_and_the_environment_variable() -> None:
    tok = token({"sub": "alice"})
    fastjwt.configure(decode_cache=False)
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().enabled is False and info().validators == 0
    fastjwt.configure(decode_cache=True)
    decode_n(3, tok, HMAC_SECRET, algorithms=ALGORITHMS)
    assert info().validators == 1
    fastjwt.decode_cache_clear()
    assert info().validators == 0 and info().enabled is True
    with pytest.raises(ValueError, match="^decode_cache_size must be a positive int$"):
        fastjwt.configure(decode_cache_size=0)
    with pytest.raises(ValueError, match="^decode_cache_validators must be a positive int$"):
        fastjwt.configure(decode_cache_validators=True)  # type: ignore[arg-type]
    script = (
        "import fastjwt, sys; t = fastjwt.encode({'a': 1}, 's' * 32); "
        "[fastjwt.decode(t, 's' * 32, algorithms=['HS256']) for _ in range(3)]; "
        "i = fastjwt.decode_cache_info(); print(i.enabled, i.validators)"
    )
    for value, expected in (("0", "False 0"), ("off", "False 0"), ("1", "True 1"), ("", "True 1")):
        env = {**os.environ, "FASTJWT_DECODE_CACHE": value, "PYTHONPATH": os.pathsep.join(sys.path)}
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert out.stdout.strip() == expected, out.stderr


def test_threads_share_validators_safely() -> None:
    tokens = [token({"i": index}) for index in range(20)]
    errors: List[BaseException] = []

    def work(offset: int) -> None:
        try:
            for round_ in range(30):
                index = (offset + round_) % len(tokens)
                assert fastjwt.decode(tokens[index], HMAC_SECRET, algorithms=ALGORITHMS) == {"i": index}
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == [] and not any(thread.is_alive() for thread in threads)
    assert info().validators == 1 and info().hits > 0
