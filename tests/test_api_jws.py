"""PyJWS: the algorithm registry and the prepared-key cache behind module-level decode."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from _support import HMAC_SECRET

import fastjwt
from fastjwt.algorithms import HMACAlgorithm
from fastjwt.api_jws import PyJWS, prepared_verifier
from fastjwt.exceptions import DecodeError, InvalidAlgorithmError, InvalidSignatureError


def test_register_and_unregister_algorithm() -> None:
    jws = PyJWS(algorithms=["HS256"])
    assert jws.get_algorithms() == ["HS256"]
    with pytest.raises(NotImplementedError, match="^Algorithm not supported$"):
        jws.get_algorithm_by_name("HS512")
    jws.register_algorithm("HS512", HMACAlgorithm(HMACAlgorithm.SHA512))
    with pytest.raises(ValueError, match="^Algorithm already has a handler.$"):
        jws.register_algorithm("HS512", HMACAlgorithm(HMACAlgorithm.SHA512))
    with pytest.raises(TypeError, match="^Object is not of type `Algorithm`$"):
        jws.register_algorithm("X", object())  # type: ignore[arg-type]
    token = jws.encode(b'{"a":1}', HMAC_SECRET, algorithm="HS512")
    assert jws.decode(token, HMAC_SECRET, algorithms=["HS512"]) == b'{"a":1}'
    jws.unregister_algorithm("HS512")
    with pytest.raises(InvalidAlgorithmError, match="^Algorithm not supported$"):
        jws.decode(token, HMAC_SECRET, algorithms=["HS512"])
    with pytest.raises(KeyError):
        jws.unregister_algorithm("HS512")


def test_module_level_registry_is_shared() -> None:
    class Doubled(HMACAlgorithm):
        def sign(self, msg: bytes, key: bytes) -> bytes:
            return super().sign(msg, key) * 2

        def verifier(self, key: bytes) -> Any:
            return lambda msg, sig: sig == self.sign(msg, key)

    fastjwt.register_algorithm("HS256D", Doubled(HMACAlgorithm.SHA256))
    try:
        token = fastjwt.encode({"a": 1}, HMAC_SECRET, algorithm="HS256D")
        assert fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256D"]) == {"a": 1}
    finally:
        fastjwt.unregister_algorithm("HS256D")
    with pytest.raises(InvalidAlgorithmError, match="^Algorithm not supported$"):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256D"])


def test_prepared_key_cache_distinguishes_keys(keys: Dict[str, Any]) -> None:
    algorithm = fastjwt.get_algorithm_by_name("HS256")
    first, _ = prepared_verifier(algorithm, HMAC_SECRET)
    assert prepared_verifier(algorithm, HMAC_SECRET)[0] is first  # reused
    token = fastjwt.encode({"a": 1}, HMAC_SECRET)
    other = HMAC_SECRET[:-1] + b"!"
    with pytest.raises(InvalidSignatureError):
        fastjwt.decode(token, other, algorithms=["HS256"])
    # str and bytes of the same text are the same secret (PyJWT utf-8 encodes str).
    assert fastjwt.decode(token, HMAC_SECRET.decode(), algorithms=["HS256"]) == {"a": 1}
    # Distinct key objects never share an entry, even after the first is gone.
    for _ in range(3):
        public = keys["p256"].public_key()
        token = fastjwt.encode({"a": 1}, keys["p256"], algorithm="ES256")
        assert fastjwt.decode(token, public, algorithms=["ES256"]) == {"a": 1}
        stranger = fastjwt.algorithms.ECAlgorithm.from_jwk(
            fastjwt.algorithms.ECAlgorithm.to_jwk(keys["p256"].public_key())
        )
        assert fastjwt.decode(token, stranger, algorithms=["ES256"]) == {"a": 1}


def test_prepared_key_cache_is_bounded() -> None:
    algorithm = fastjwt.get_algorithm_by_name("HS256")
    for i in range(1000):
        prepared_verifier(algorithm, f"secret-{i}-padding-padding-padding-padding")
    from fastjwt.api_jws import _prepared

    assert len(_prepared._entries) <= 128


def test_detached_payload_rules() -> None:
    token = fastjwt.encode({"a": 1}, HMAC_SECRET)
    with pytest.raises(DecodeError, match='^It is only valid to pass "detached_payload"'):
        fastjwt.decode(token, HMAC_SECRET, algorithms=["HS256"], detached_payload=b"x")


def test_encode_header_rules() -> None:
    token = fastjwt.encode({"a": 1}, HMAC_SECRET, headers={"typ": None, "kid": "k"})
    assert fastjwt.get_unverified_header(token) == {"alg": "HS256", "kid": "k"}
    with pytest.raises(fastjwt.InvalidTokenError, match="^Key ID header parameter must be a string$"):
        fastjwt.encode({"a": 1}, HMAC_SECRET, headers={"kid": 1})
    detached = fastjwt.PyJWS().encode(b"$.02", HMAC_SECRET, is_payload_detached=True)
    head, payload, _ = detached.split(".")
    assert payload == ""
    assert fastjwt.get_unverified_header(detached) == {"alg": "HS256", "b64": False, "crit": ["b64"], "typ": "JWT"}


@pytest.mark.parametrize(
    "segment",
    [b"Zg", b"Zg==", b"Zm8=", b"Zm9v", b"", b"Zg===", b"Zg=", b"a", b"Z?==", b"Zh", b"Zh==", b"Zm8", b"Zm9=", b"!!!!",
     b"Zm+v", b"Zm/v", b"Z=g="],
)
def test_pyjwts_private_segment_decoder(segment: bytes) -> None:
    """PyJWS._decode_base64url_segment, which PyJWT's own suite calls, decides as PyJWT's."""
    import jwt as pyjwt

    outcomes = []
    for cls in (fastjwt.PyJWS, pyjwt.PyJWS):
        try:
            outcomes.append(("ok", cls._decode_base64url_segment(segment, "crypto")))
        except Exception as error:  # noqa: BLE001 - compared by class name and message
            outcomes.append((type(error).__name__, str(error)))
    assert outcomes[0] == outcomes[1]
