"""The verified-token cache of a Validator."""

from __future__ import annotations

import base64
import gc
import json
import random
import threading
from typing import Any, Dict, List

import pytest
from _support import HMAC_SECRET
from hypothesis import given
from hypothesis import strategies as st

import fastjwt
from fastjwt import (
    CacheInfo,
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidSignatureError,
    Key,
    KeyNotFoundError,
    KeySet,
    Validator,
)
from fastjwt._cache import TOKEN_KEY_BYTES, copy_json, token_key
from fastjwt.cache import TokenCache

NOW = 1_700_000_000


class Clock:
    """A settable clock for validators."""

    def __init__(self, t: float = NOW) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def counting(validator: Validator, alg: str = "HS256") -> List[int]:
    """Count the signature checks a single-key validator performs."""
    calls = [0]
    verify = validator._verifiers[alg]

    def counted(msg: bytes, sig: bytes) -> bool:
        calls[0] += 1
        return verify(msg, sig)

    validator._verifiers[alg] = counted
    return calls


def make(clock: Clock, **kwargs: Any) -> Validator:
    return Validator(HMAC_SECRET, algorithms=["HS256"], clock=clock, **kwargs)


def token(claims: Dict[str, Any], key: bytes = HMAC_SECRET) -> str:
    return fastjwt.encode(claims, key)


def test_hit_skips_the_signature_and_counts() -> None:
    clock = Clock()
    validator = make(clock, audience="api")
    calls = counting(validator)
    tok = token({"sub": "a", "aud": "api", "exp": NOW + 60})
    assert validator.decode(tok) == {"sub": "a", "aud": "api", "exp": NOW + 60}
    assert validator.decode(tok) == {"sub": "a", "aud": "api", "exp": NOW + 60}
    assert validator.decode(tok.encode()) == {"sub": "a", "aud": "api", "exp": NOW + 60}  # bytes: the same token
    assert calls[0] == 1
    assert validator.cache_info() == CacheInfo(hits=2, misses=1, evictions=0, currsize=1, maxsize=65536,
                                               rejected_hits=0, rejected_size=0)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "a", "exp": NOW + 60},
        {"sub": "a", "roles": ["reader"], "ctx": {"tenant": "t1", "ids": [1, 2]}, "exp": NOW + 60},
    ],
    ids=["flat", "nested"],
)
def test_callers_cannot_change_what_the_next_caller_gets(claims: Dict[str, Any]) -> None:
    validator = make(Clock())
    tok = token(claims)
    expected = json.loads(json.dumps(claims))
    for _ in range(3):
        got = validator.decode(tok)
        assert got == expected
        got["sub"] = "mallory"
        got["extra"] = True
        for value in got.values():
            if isinstance(value, list):
                value.append("admin")
            if isinstance(value, dict):
                value["tenant"] = "evil"
                value["ids"].append(3)
    assert validator.cache_info().hits == 2


def test_headers_are_as_unshared_as_claims() -> None:
    # Tokens with one header segment share one memoised header; what a caller
    # does to its copy, nested objects included, reaches no other caller.
    validator = make(Clock())
    extra = {"ctx": {"tenant": "t1", "ids": [1, 2]}, "x5t": ["a"]}
    first, second = (fastjwt.encode({"n": n}, HMAC_SECRET, headers=extra) for n in range(2))
    expected = {"alg": "HS256", "typ": "JWT", **json.loads(json.dumps(extra))}
    for tok in (first, first, second, second, first):  # misses, hits, the memo's header
        header = validator.decode_complete(tok)["header"]
        assert header == expected
        header["ctx"]["tenant"] = "evil"
        header["ctx"]["ids"].append(3)
        header["x5t"].append("b")
        header["alg"] = "none"
    assert validator.cache_info().hits == 3


def test_copies_of_claims_follow_every_json_type() -> None:
    claims = {"s": "x", "i": 2**70, "f": 1.5, "t": True, "n": None, "l": [[], [{"a": [1]}], "y"], "d": {"e": {}}}
    validator = make(Clock())
    tok = token(claims)
    first, hit = validator.decode(tok), validator.decode(tok)
    assert first == hit == claims
    assert hit["l"] is not first["l"] and hit["l"][1][0] is not first["l"][1][0]
    assert hit["d"]["e"] is not first["d"]["e"] and hit["l"][0] is not first["l"][0]


@pytest.mark.parametrize("judged_on", ["miss", "hit"])
def test_an_expired_verdict_does_not_outlive_a_clock_correction(judged_on: str) -> None:
    clock = Clock()
    validator = make(clock)
    calls = counting(validator)
    tok = token({"sub": "a", "exp": NOW + 60})
    if judged_on == "hit":
        assert validator.decode(tok) == {"sub": "a", "exp": NOW + 60}
    clock.t = NOW + 3600  # the clock jumps ahead: expired, remembered as such
    for _ in range(2):
        with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
            validator.decode(tok)
    assert validator.cache_info().rejected_hits == 1
    clock.t = NOW + 1800  # set back, still past exp: the verdict is judged afresh, and holds
    with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
        validator.decode(tok)
    clock.t = NOW  # corrected: the same validator accepts it again, as a fresh one does
    assert validator.decode(tok) == {"sub": "a", "exp": NOW + 60}
    assert make(clock).decode(tok) == {"sub": "a", "exp": NOW + 60}
    assert validator.decode(tok) == {"sub": "a", "exp": NOW + 60}  # a hit again
    assert calls[0] == 3 if judged_on == "miss" else 4
    assert validator.cache_info().rejected_hits == 1


def test_max_age_verdicts_follow_the_clock_too() -> None:
    clock = Clock(NOW + 100)
    validator = make(clock, max_age=30)
    tok = token({"iat": NOW})
    with pytest.raises(ExpiredSignatureError, match=r"^The token is too old \(iat\)$"):
        validator.decode(tok)
    clock.t = NOW + 10
    assert validator.decode(tok) == {"iat": NOW}


def test_time_claims_are_checked_on_every_hit_and_expired_entries_leave() -> None:
    clock = Clock()
    validator = make(clock, leeway=5)
    calls = counting(validator)
    tok = token({"sub": "a", "exp": NOW + 10})
    assert validator.decode(tok)["sub"] == "a"
    clock.t = NOW + 14  # within leeway
    assert validator.decode(tok)["sub"] == "a"
    clock.t = NOW + 15
    with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
        validator.decode(tok)
    assert calls[0] == 1  # rejected from the cache, no signature check
    assert validator.cache_info().currsize == 0  # the entry did not outlive exp + leeway
    with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
        validator.decode(tok)  # remembered as expired for good: still no signature check
    assert calls[0] == 1
    assert (validator.cache_info().rejected_hits, validator.cache_info().rejected_size) == (1, 1)


def test_replayed_expired_tokens_cost_a_lookup() -> None:
    validator = make(Clock(), audience="api")
    calls = counting(validator)
    expired = token({"sub": "a", "aud": "web", "exp": NOW - 1})
    for _ in range(4):
        # PyJWT's order: exp is checked before aud, so Expired wins every time.
        with pytest.raises(ExpiredSignatureError, match="^Signature has expired$"):
            validator.decode(expired)
    assert calls[0] == 1
    assert validator.cache_info().rejected_hits == 3


def test_max_age_is_a_time_check_too() -> None:
    clock = Clock()
    validator = make(clock, max_age=30)
    tok = token({"iat": NOW})
    assert validator.decode(tok) == {"iat": NOW}
    clock.t = NOW + 30
    with pytest.raises(ExpiredSignatureError, match=r"^The token is too old \(iat\)$"):
        validator.decode(tok)


def test_a_token_rejected_for_nbf_is_accepted_once_valid() -> None:
    clock = Clock()
    validator = make(clock)
    tok = token({"sub": "a", "nbf": NOW + 10})
    for _ in range(3):
        with pytest.raises(ImmatureSignatureError, match=r"^The token is not yet valid \(nbf\)$"):
            validator.decode(tok)
    clock.t = NOW + 10
    assert validator.decode(tok) == {"sub": "a", "nbf": NOW + 10}


def test_static_claims_failures_are_not_cached_as_valid() -> None:
    validator = make(Clock(), audience="api")
    tok = token({"aud": "web"})
    for _ in range(2):
        with pytest.raises(InvalidAudienceError):
            validator.decode(tok)
    assert validator.cache_info().currsize == 0


def test_forged_tokens_are_remembered_separately() -> None:
    validator = make(Clock())
    calls = counting(validator)
    forged = token({"sub": "admin"}, key=b"not-the-secret-not-the-secret-not-the-secret")
    for _ in range(5):
        with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
            validator.decode(forged)
    assert calls[0] == 1
    info = validator.cache_info()
    assert (info.rejected_hits, info.rejected_size, info.currsize) == (4, 1, 0)
    with pytest.raises(InvalidSignatureError):
        validator.try_decode_cached(forged)


def test_a_forged_token_sharing_a_signature_never_hits() -> None:
    validator = make(Clock())
    good = token({"sub": "alice"})
    assert validator.decode(good) == {"sub": "alice"}
    header, _, signature = good.split(".")
    evil_payload = base64.urlsafe_b64encode(b'{"sub":"admin"}').rstrip(b"=").decode()
    with pytest.raises(InvalidSignatureError):
        validator.decode(f"{header}.{evil_payload}.{signature}")


def test_tokens_sharing_a_store_key_keep_their_own_answers() -> None:
    # A forgery ending like a cached token shares its store key (token_key
    # hashes the end of a token): it is refused, remembered apart, and the
    # valid token's entry stays and answers only the valid token.
    validator = make(Clock())
    calls = counting(validator)
    good = token({"sub": "alice"})
    header, _, signature = good.split(".")
    evil_payload = base64.urlsafe_b64encode(b'{"sub":"admin"}').rstrip(b"=").decode()
    evil = f"{header}.{evil_payload}.{signature}"
    assert token_key(evil) == token_key(good)
    assert validator.decode(good) == {"sub": "alice"}
    for _ in range(3):
        with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
            validator.decode(evil)
        assert validator.decode(good) == {"sub": "alice"}
        assert validator.decode(good.encode()) == {"sub": "alice"}
    assert calls[0] == 2  # the good token once, the forgery once
    info = validator.cache_info()
    assert (info.hits, info.rejected_hits, info.currsize, info.rejected_size) == (6, 2, 1, 1)
    assert validator._cache is not None and validator._cache.entry(evil) is None
    validator._cache.forget(evil)  # not its entry: the good token's stays
    assert validator.try_decode_cached(good) == {"sub": "alice"}


def test_tokens_of_other_types_or_characters_are_never_cached() -> None:
    validator = make(Clock())
    good = token({"sub": "alice"})
    for odd in (good[:-1] + "\u00e9", good[:-1] + "\U0001f600", bytearray(good.encode())):
        assert token_key(odd) is None
        for _ in range(2):
            with pytest.raises(DecodeError):
                validator.decode(odd)  # type: ignore[arg-type]
    info = validator.cache_info()
    assert (info.hits, info.misses, info.currsize, info.rejected_size) == (0, 4, 0, 0)  # a bytearray is not looked up
    assert token_key(good) == token_key(good.encode()) == token_key(good[-TOKEN_KEY_BYTES:])
    assert token_key(good) != token_key(good[:-1] + "A")


def test_try_decode_cached() -> None:
    clock = Clock()
    validator = make(clock)
    tok = token({"sub": "a", "exp": NOW + 10})
    assert validator.try_decode_cached(tok) is None  # not cached: no verification done
    assert validator.cache_info().currsize == 0
    validator.decode(tok)
    assert validator.try_decode_cached(tok) == {"sub": "a", "exp": NOW + 10}
    clock.t = NOW + 10
    with pytest.raises(ExpiredSignatureError):
        validator.try_decode_cached(tok)
    assert validator.try_decode_cached(b"garbage" * 2000) is None
    assert validator.try_decode_cached(None) is None  # type: ignore[arg-type]


def test_decode_complete_hits() -> None:
    validator = make(Clock())
    tok = token({"sub": "a"})
    first = validator.decode_complete(tok)
    second = validator.decode_complete(tok)
    assert first == second
    assert second["header"] == {"alg": "HS256", "typ": "JWT"}
    assert validator.cache_info().hits == 1


def test_cache_can_be_turned_off() -> None:
    for kwargs in ({"cache": False}, {"cache_size": 0}):
        validator = make(Clock(), **kwargs)
        calls = counting(validator)
        tok = token({"sub": "a"})
        validator.decode(tok)
        validator.decode(tok)
        assert calls[0] == 2
        assert validator.cache_info() is None
        assert validator.try_decode_cached(tok) is None


def test_lru_is_bounded_and_counts_evictions() -> None:
    validator = make(Clock(), cache_size=10)
    tokens = [token({"n": i}) for i in range(25)]
    for tok in tokens:
        validator.decode(tok)
    info = validator.cache_info()
    assert (info.currsize, info.maxsize, info.evictions) == (10, 10, 15)
    validator.decode(tokens[-1])
    assert validator.cache_info().hits == 1
    validator.cache_clear()
    assert validator.cache_info().currsize == 0 and validator.cache_info().evictions == 15


@pytest.mark.parametrize("direct", [True, False], ids=["direct-access", "public-protocol"])
def test_a_hit_makes_a_token_most_recently_used(monkeypatch: pytest.MonkeyPatch, direct: bool) -> None:
    # Hits read cachetools' own dict and order directly; should a release
    # rename them, the public protocol serves. Both keep the LRU order.
    if not direct:  # as if a cachetools release changed its internals
        monkeypatch.setattr(fastjwt.cache, "OrderedDict", type("Renamed", (), {}))
    validator = make(Clock(), cache_size=3)
    assert validator._cache.verified.direct is direct and validator._cache.rejected.direct is direct
    a, b, c, d = (token({"n": i}) for i in range(4))
    for tok in (a, b, c):
        validator.decode(tok)
    assert validator.try_decode_cached(a) == {"n": 0}  # a is now the most recent
    validator.decode(d)  # evicts b, the least recently used
    assert validator.try_decode_cached(b) is None
    assert [validator.try_decode_cached(t) for t in (a, c, d)] == [{"n": 0}, {"n": 2}, {"n": 3}]
    info = validator.cache_info()
    assert (info.hits, info.misses, info.evictions, info.currsize) == (4, 5, 1, 3)
    lru = validator._cache.verified.lru  # cachetools' own view agrees, size counter included
    assert {entry.token for entry in lru.values()} == {a, c, d} and lru.currsize == len(lru) == 3
    assert set(lru) == {token_key(a), token_key(c), token_key(d)} and lru[token_key(a)].claims == {"n": 0}
    validator.cache_clear()  # a new store keeps the same kind of access
    assert validator._cache.verified.direct is direct
    assert validator.try_decode_cached(a) is None
    validator.decode(a)
    assert validator.try_decode_cached(a) == {"n": 0}
    forged = token({"n": 0}, key=b"not-the-secret-not-the-secret-not-the-secret")
    for _ in range(3):  # refused, then answered from the store of refusals
        with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
            validator.decode(forged)
    assert validator.cache_info().rejected_hits == 2


@pytest.mark.parametrize("direct", [True, False], ids=["direct-access", "public-protocol"])
def test_recency_is_refreshed_once_a_hit_has_drifted_a_quarter(monkeypatch: pytest.MonkeyPatch, direct: bool) -> None:
    # cache_size 8: slack 2. A hit moves its token to the recent end only
    # when more than 2 insertions came after it was last put there. (Through
    # cachetools' public protocol every read marks a key used: exact LRU.)
    if not direct:
        monkeypatch.setattr(fastjwt.cache, "OrderedDict", type("Renamed", (), {}))
    validator = make(Clock(), cache_size=8)
    assert validator._cache is not None
    calls = counting(validator)
    tokens = [token({"n": i}) for i in range(8)]
    for tok in tokens:
        validator.decode(tok)
    validator.decode(tokens[6])  # 1 insertion since: stays where it is
    validator.decode(tokens[0])  # 7 insertions since: moved to the recent end
    for i in range(8, 14):  # evicts the 6 oldest: 1 to 5, and 6, whose hit did not move it (direct)
        validator.decode(token({"n": i}))
    kept = [validator._cache.entry(tok) is not None for tok in tokens]
    assert kept == [True] + [False] * 6 + [True] if direct else [True] + [False] * 5 + [True, False]
    # A token used again before 6 (8 - slack) more insertions is never evicted.
    hot = tokens[0]
    assert validator.decode(hot) == {"n": 0}
    for i in range(14, 74):
        validator.decode(token({"n": i}))
        if i % 5 == 0:
            assert validator.decode(hot) == {"n": 0}
    assert validator._cache.entry(hot) is not None
    assert calls[0] == 74  # every distinct token verified once, hot never again
    info = validator.cache_info()
    assert (info.currsize, info.evictions) == (8, 66)


@pytest.mark.parametrize("direct", [True, False], ids=["direct", "public-protocol"])
def test_a_repeated_refusal_keeps_its_place_as_a_hit_does(monkeypatch: pytest.MonkeyPatch, direct: bool) -> None:
    # The store of refusals re-links as the verified store does: a forgery
    # presented again before 6 (8 - slack) more refusals is never forgotten,
    # so it is never verified again; one left alone for 8 refusals is.
    if not direct:
        monkeypatch.setattr(fastjwt.cache, "OrderedDict", type("Renamed", (), {}))
    validator = make(Clock(), rejected_cache_size=8)
    calls = counting(validator)
    wrong = b"not-the-secret-not-the-secret-not-the-secret"
    hot, cold = token({"n": -1}, key=wrong), token({"n": -2}, key=wrong)

    def refuse(tok: str) -> None:
        with pytest.raises(InvalidSignatureError, match="^Signature verification failed$"):
            validator.decode(tok)

    refuse(cold)
    refuse(hot)
    for i in range(60):
        refuse(token({"n": i}, key=wrong))
        if i % 5 == 0:
            refuse(hot)
    assert calls[0] == 62  # every distinct forgery checked once, hot never again
    info = validator.cache_info()
    assert (info.rejected_hits, info.rejected_size) == (12, 8)
    refuse(cold)  # forgotten long ago: checked afresh
    assert calls[0] == 63


def test_oversized_tokens_are_not_hashed_for_lookup() -> None:
    validator = make(Clock(), max_token_length=100)
    with pytest.raises(fastjwt.DecodeError, match="^Token is too long"):
        validator.decode("a" * 10_000_000)
    assert validator.cache_info().misses == 0


def test_removed_keys_are_no_longer_honoured(keys: Dict[str, Any]) -> None:
    key_a = Key(keys["p256"].public_key(), kid="a")
    key_b = Key(keys["ed25519"].public_key(), kid="b")
    validator = Validator(keys=KeySet([key_a, key_b]), algorithms=["ES256", "EdDSA"])
    by_a = fastjwt.encode({"sub": "x"}, keys["p256"], algorithm="ES256", headers={"kid": "a"})
    by_b = fastjwt.encode({"sub": "y"}, keys["ed25519"], algorithm="EdDSA", headers={"kid": "b"})
    assert validator.decode(by_a) == {"sub": "x"}
    assert validator.decode(by_b) == {"sub": "y"}
    assert validator.cache_info().currsize == 2
    validator.update_keys(KeySet([key_b]))
    assert validator.cache_info().currsize == 1  # purged at once
    with pytest.raises(KeyNotFoundError):
        validator.decode(by_a)
    assert validator.decode(by_b) == {"sub": "y"}
    assert validator.cache_info().hits == 1


def test_forgeries_are_forgotten_when_keys_change(keys: Dict[str, Any]) -> None:
    old = Key(HMAC_SECRET, kid="k1")
    rotated_secret = b"rotated-secret-rotated-secret-rotated-secret!!"
    validator = Validator(keys=KeySet([old]), algorithms=["HS256"])
    tok = fastjwt.encode({"sub": "x"}, rotated_secret, headers={"kid": "k1"})
    with pytest.raises(InvalidSignatureError):
        validator.decode(tok)
    validator.update_keys(KeySet([Key(rotated_secret, kid="k1")]))
    assert validator.decode(tok) == {"sub": "x"}


def test_token_cache_validates_size() -> None:
    with pytest.raises(ValueError):
        TokenCache(0)


def test_threads_hammering_one_validator_see_exact_outcomes() -> None:
    """Valid, expired, forged and new tokens from 8 threads: no wrong accept,
    no wrong reject, nothing but the expected exceptions."""
    clock = Clock()
    validator = make(clock, audience="api", cache_size=64)  # small: evictions race with hits
    forged_key = b"forger-forger-forger-forger-forger-forger!!"
    valid = [token({"sub": f"u{i}", "aud": "api", "exp": NOW + 3600}) for i in range(40)]
    expired = [token({"sub": f"e{i}", "aud": "api", "exp": NOW - 1}) for i in range(10)]
    forged = [token({"sub": f"f{i}", "aud": "api"}, key=forged_key) for i in range(10)]
    errors: List[str] = []

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        for n in range(600):
            kind = rng.choice(("valid", "expired", "forged", "new"))
            try:
                if kind == "valid":
                    i = rng.randrange(len(valid))
                    got = validator.decode(valid[i])
                    if got != {"sub": f"u{i}", "aud": "api", "exp": NOW + 3600}:
                        errors.append(f"wrong claims {got}")
                elif kind == "expired":
                    with pytest.raises(ExpiredSignatureError):
                        validator.decode(rng.choice(expired))
                elif kind == "forged":
                    with pytest.raises(InvalidSignatureError):
                        validator.decode(rng.choice(forged))
                else:
                    sub = f"n{seed}-{n}"
                    if validator.decode(token({"sub": sub, "aud": "api"})) != {"sub": sub, "aud": "api"}:
                        errors.append("wrong claims for a new token")
            except BaseException as err:  # noqa: BLE001  (recorded, the test fails below)
                errors.append(f"{kind}: {type(err).__name__}: {err}")

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    info = validator.cache_info()
    assert info.hits > 0 and info.evictions > 0 and info.rejected_hits > 0
    assert info.currsize <= 64


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=3), children, max_size=4),
    max_leaves=30,
)


def _containers(value: Any) -> List[int]:
    if isinstance(value, dict):
        return [id(value)] + [i for v in value.values() for i in _containers(v)]
    if isinstance(value, list):
        return [id(value)] + [i for v in value for i in _containers(v)]
    return []


@given(st.dictionaries(st.text(max_size=3), _JSON, max_size=6))
def test_copy_json_equals_and_shares_no_container(value: Dict[str, Any]) -> None:
    copied = copy_json(value)
    assert copied == value
    assert set(_containers(copied)).isdisjoint(_containers(value))
    assert [type(v) for v in copied.values()] == [type(v) for v in value.values()]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"v": 1}, {"v": True}),
        ({"v": [1]}, {"v": [1.0]}),
        ({"v": 0.0}, {"v": -0.0}),
        ({"v": {"a": 1, "b": 2}}, {"v": {"b": 2, "a": 1}}),
        ({"v": ["x"]}, {"v": ["x", "y"]}),
        ({"v": "é"}, {"v": "e"}),
    ],
    ids=["bool-int", "int-float", "signed-zero", "member-order", "length", "text"],
)
def test_entries_share_only_values_that_are_the_same_json(first: Dict[str, Any], second: Dict[str, Any]) -> None:
    # Consecutive entries share equal values; "equal" in Python is not enough.
    validator = make(Clock())
    tok_a, tok_b = token({**first, "n": 1}), token({**second, "n": 2})
    for tok, claims in ((tok_a, first), (tok_b, second), (tok_a, first), (tok_b, second)):
        got = validator.decode(tok)
        assert json.dumps(got) == json.dumps({**claims, "n": got["n"]})
        assert [type(v) for v in got["v"]] == [type(v) for v in claims["v"]] if isinstance(got["v"], list) else True
        assert type(got["v"]) is type(claims["v"])


def test_entries_share_repeated_values() -> None:
    validator = make(Clock())
    common = {"iss": "https://issuer.example", "roles": ["a", "b"], "ctx": {"t": [1]}}
    for n in range(3):
        validator.decode(token({**common, "n": n}))
    templates = [entry.claims for entry in validator._cache.verified.lru.values()]
    for name in common:
        assert len({id(t[name]) for t in templates}) == 1
    assert [t["n"] for t in templates] == [0, 1, 2]


def test_nested_copies_are_tracked_by_the_collector() -> None:
    # The cache's own templates are untracked (trees: no cycles); a caller's
    # copy holding lists is tracked, so a cycle a caller makes is collected.
    validator = make(Clock())
    tok = token({"roles": ["a"], "ctx": {"ids": [1]}, "sub": "x"})
    for claims in (validator.decode(tok), validator.decode(tok)):
        assert gc.is_tracked(claims) and gc.is_tracked(claims["ctx"]) and gc.is_tracked(claims["roles"])
    flat = validator.decode(token({"sub": "y"}))
    assert validator.decode(token({"sub": "y"})) == flat
    template = validator._cache.entry(token({"roles": ["a"], "ctx": {"ids": [1]}, "sub": "x"})).claims
    assert not gc.is_tracked(template) and not gc.is_tracked(template["ctx"])


@given(
    st.dictionaries(
        st.sampled_from(["iat", "nbf", "exp"]),
        st.integers(-(2**60), 2**60) | st.floats(-1e15, 1e15, allow_nan=False),
    ),
    st.sampled_from([0, 5, 2.5]),
    st.sampled_from([None, 30]),
)
def test_the_compiled_time_window_is_time_window(claims: Dict[str, Any], leeway: float, max_age: Any) -> None:
    # The window a miss stores comes from compiled code (ClaimRules.check_window);
    # it must equal ClaimRules.time_window, the documented one, to the bit.
    if max_age is not None:
        claims.setdefault("iat", NOW)
    validator = make(Clock(), leeway=leeway, max_age=max_age, options={"verify_iat": True})
    rules = validator._rules
    tok = token(claims)
    try:
        validator.decode(tok)
    except fastjwt.InvalidTokenError:
        return
    entry = validator._cache.entry(tok)
    assert (entry.start, entry.end) == rules.time_window(claims)


def test_a_full_cache_evicts_one_per_new_token_in_either_access(monkeypatch: pytest.MonkeyPatch) -> None:
    for direct in (True, False):
        if not direct:
            monkeypatch.setattr(fastjwt.cache, "OrderedDict", type("Renamed", (), {}))
        validator = make(Clock(), cache_size=5)
        tokens = [token({"n": i}) for i in range(12)]
        for tok in tokens:
            validator.decode(tok)
        lru = validator._cache.verified.lru
        assert [entry.token for entry in lru.values()] == tokens[-5:] and lru.currsize == len(lru) == 5
        assert validator.cache_info().evictions == 7
        validator.cache_clear()
        assert validator.cache_info().evictions == 7 and len(validator._cache.verified.lru) == 0


def test_a_held_cache_lock_makes_other_threads_wait_with_the_gil_released() -> None:
    validator = make(Clock())
    tok = token({"sub": "a"})
    validator.decode(tok)
    answers: List[Dict[str, Any]] = []
    with validator._cache.lock:
        worker = threading.Thread(target=lambda: answers.append(validator.decode(tok)))
        worker.start()
        worker.join(timeout=0.2)  # it waits on the lock; this thread keeps running
        assert worker.is_alive() and answers == []
    worker.join(timeout=10)
    assert answers == [{"sub": "a"}] and validator.cache_info().hits == 1


def test_cached_shared_checks_as_cached_and_answers_the_entry_itself() -> None:
    clock = Clock()
    validator = make(clock)
    tok = token({"sub": "a", "nbf": NOW - 5, "exp": NOW + 10, "roles": ["x", {"y": [1]}]})
    assert validator._cached_shared(tok) is None  # not cached: no verification done
    assert validator.cache_info().currsize == 0
    validator.decode(tok)
    shared = validator._cached_shared(tok)
    assert shared == {"sub": "a", "nbf": NOW - 5, "exp": NOW + 10, "roles": ["x", {"y": [1]}]}
    assert validator._cached_shared(tok) is shared  # no copy: the cache's own claims
    assert validator.try_decode_cached(tok) is not shared and validator.decode(tok) is not shared
    clock.t = NOW - 6  # before nbf: the window is checked on every hit, as by cached
    with pytest.raises(ImmatureSignatureError):
        validator._cached_shared(tok)
    clock.t = NOW + 10
    with pytest.raises(ExpiredSignatureError):
        validator._cached_shared(tok)
    with pytest.raises(ExpiredSignatureError):  # remembered as refused for good, as by cached
        validator.try_decode_cached(tok)
    with pytest.raises(ExpiredSignatureError):
        validator._cached_shared(tok)
    forged = tok[:-2] + ("AA" if not tok.endswith("AA") else "BB")
    with pytest.raises(InvalidSignatureError):
        validator.decode(forged)
    with pytest.raises(InvalidSignatureError):  # a remembered refusal raises
        validator._cached_shared(forged)
    assert validator._cached_shared(b"garbage" * 2000) is None
    assert validator._cached_shared(None) is None  # type: ignore[arg-type]
    assert make(clock, cache=False)._cached_shared(tok) is None
