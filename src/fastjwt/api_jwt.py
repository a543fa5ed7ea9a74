"""PyJWT: the claims layer of the PyJWT-compatible API.

Signature work is delegated to :class:`fastjwt.api_jws.PyJWS`, claim checks
to :class:`fastjwt.rules.ClaimRules`. The overridable hooks PyJWT users rely
on (``_encode_payload``, ``_decode_payload``, ``_validate_claims``) exist.
"""

from __future__ import annotations

import json
import time
import warnings
from calendar import timegm
from collections.abc import Container, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Dict, Optional, Type, Union

from . import _core, decode_cache
from ._memo import decode as _compiled_decode
from ._memo import lookup as _lookup
from .api_jws import _ALGORITHM_UNSET, PyJWS, _jws_global_obj, _warn_extra_kwargs, json_bytes
from .exceptions import (  # noqa: F401  (PyJWT's jwt.api_jwt exposes them)
    DecodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidJTIError,
    InvalidSubjectError,
    MissingRequiredClaimError,
)
from .rules import DEFAULT_OPTIONS, ClaimRules, merge_options
from .warnings import RemovedInPyjwt3Warning  # noqa: F401

__all__ = ["PyJWT", "encode", "decode", "decode_complete"]

_UNCACHEABLE = decode_cache.UNCACHEABLE
_miss = decode_cache.miss


class _Options(Dict[str, Any]):
    """``PyJWT.options``: a plain dict to its users, which also keeps
    ``_memo_key``, a hashable snapshot of itself for the decode cache,
    renewed on any change (UNCACHEABLE for a subclass of PyJWT, whose hooks
    must run, or when a value has no hashable stand-in)."""

    def __init__(self, options: Dict[str, Any], cacheable: bool) -> None:
        super().__init__(options)
        self._cacheable = cacheable
        self._changed()

    def _changed(self) -> None:
        self._memo_key = decode_cache.options_token(self) if self._cacheable else decode_cache.UNCACHEABLE
        decode_cache.changed()

    def __setitem__(self, name: str, value: Any) -> None:
        super().__setitem__(name, value)
        self._changed()

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._changed()

    def __ior__(self, other: Any) -> _Options:  # type: ignore[override,misc]
        super().update(other)
        self._changed()
        return self

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def pop(self, *args: Any) -> Any:
        value = super().pop(*args)
        self._changed()
        return value

    def popitem(self) -> Any:
        item = super().popitem()
        self._changed()
        return item

    def setdefault(self, name: str, default: Any = None) -> Any:
        value = super().setdefault(name, default)
        self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __reduce__(self) -> Any:
        # Pickled and deep-copied as the plain dict it stands for.
        return (dict, (dict(self),))


class PyJWT(metaclass=decode_cache.GuardedClass):
    """JWT encoding and validating decoding, as PyJWT's ``PyJWT``."""

    def __init__(self, options: Optional[Dict[str, Any]] = None) -> None:
        self.options: Dict[str, Any] = self._get_default_options()
        if options is not None:
            self.options = self._merge_options(options)
        self.options = _Options(self.options, cacheable=type(self) is PyJWT)
        self._jws = PyJWS(options=self._get_sig_options())

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        self._attributes_changed(name)

    def __delattr__(self, name: str) -> None:
        super().__delattr__(name)
        self._attributes_changed(name)

    def _attributes_changed(self, name: str) -> None:
        """What the decode cache rests on: the options, the PyJWS, and the methods.
        An instance whose method is replaced (``mock.patch.object(jwt_obj, ...)``)
        is not cached until it is restored."""
        if name not in ("options", "_jws"):
            options = self.__dict__.get("options")
            if isinstance(options, _Options):
                shadowed = any(attr in type(self).__dict__ for attr in self.__dict__ if attr not in ("options", "_jws"))
                options._cacheable = type(self) is PyJWT and not shadowed
                options._changed()
        decode_cache.changed()

    @staticmethod
    def _get_default_options() -> Dict[str, Any]:
        return {**DEFAULT_OPTIONS, "require": []}

    def _get_sig_options(self) -> Dict[str, Any]:
        return {
            "verify_signature": self.options["verify_signature"],
            "enforce_minimum_key_length": self.options.get("enforce_minimum_key_length", False),
        }

    def _merge_options(self, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        return merge_options(self.options, options)

    def encode(
        self,
        payload: Dict[str, Any],
        key: Any,
        algorithm: Optional[str] = _ALGORITHM_UNSET,
        headers: Optional[Dict[str, Any]] = None,
        json_encoder: Optional[Type[json.JSONEncoder]] = None,
        sort_headers: bool = True,
    ) -> str:
        """Encode ``payload`` (a dict of claims) as a signed compact JWT."""
        if not isinstance(payload, dict):
            raise TypeError("Expecting a dict object, as JWT only supports JSON objects as payloads.")
        payload = payload.copy()
        for time_claim in ("exp", "iat", "nbf"):
            if isinstance(payload.get(time_claim), datetime):
                payload[time_claim] = timegm(payload[time_claim].utctimetuple())
        if "iss" in payload and not isinstance(payload["iss"], str):
            raise TypeError("Issuer (iss) must be a string.")
        json_payload = self._encode_payload(payload, headers=headers, json_encoder=json_encoder)
        return self._jws.encode(json_payload, key, algorithm, headers, json_encoder, sort_headers=sort_headers)

    def _encode_payload(
        self,
        payload: Dict[str, Any],
        headers: Optional[Dict[str, Any]] = None,
        json_encoder: Optional[Type[json.JSONEncoder]] = None,
    ) -> bytes:
        """The bytes to sign; override to change the payload encoding.

        Non-finite numbers (NaN, Infinity) raise ValueError: they are not JSON.
        """
        return json_bytes(payload, json_encoder, "payload")

    def decode_complete(
        self,
        jwt: Any,
        key: Any = "",
        algorithms: Optional[Sequence[str]] = None,
        options: Optional[Dict[str, Any]] = None,
        verify: Optional[bool] = None,
        detached_payload: Optional[bytes] = None,
        audience: Union[str, Iterable[str], None] = None,
        issuer: Union[str, Container[str], None] = None,
        subject: Optional[str] = None,
        leeway: Union[float, timedelta] = 0,
        **kwargs: Any,
    ) -> Dict[str, Any]:
        """Verify and validate a JWT; return ``{"header", "payload", "signature"}``.

        Repeated calls may be answered by the decode cache (see
        :mod:`fastjwt.decode_cache`), with the same results and errors.
        """
        if not kwargs and verify is None and detached_payload is None:
            # The decode cache (fastjwt.decode_cache): the validator for this call's signature.
            validator = _lookup(self, key, algorithms, options, audience, issuer, subject, leeway)
            if validator is None:
                validator = _miss(self, key, algorithms, options, audience, issuer, subject, leeway)
            if validator is not None and validator is not _UNCACHEABLE:
                complete = validator.decode_complete(jwt)
                return {"payload": complete["payload"], "header": complete["header"],
                        "signature": complete["signature"]}
        elif kwargs:
            _warn_extra_kwargs("decode_complete", kwargs)
        return self._decode_complete_uncached(
            jwt, key, algorithms, options, verify, detached_payload, audience, issuer, subject, leeway
        )

    def _decode_complete_uncached(
        self,
        jwt: Any,
        key: Any,
        algorithms: Optional[Sequence[str]],
        options: Optional[Dict[str, Any]],
        verify: Optional[bool],
        detached_payload: Optional[bytes],
        audience: Union[str, Iterable[str], None],
        issuer: Union[str, Container[str], None],
        subject: Optional[str],
        leeway: Union[float, timedelta],
    ) -> Dict[str, Any]:
        """decode_complete without the cache: PyJWS, then the payload hook, then the claims hook."""
        verify_signature = True if options is None else options.get("verify_signature", True)
        if verify is not None and verify != verify_signature:
            warnings.warn(
                "The `verify` argument to `decode` does nothing in PyJWT 2.0 and newer. "
                "The equivalent is setting `verify_signature` to False in the `options` dictionary. "
                "This invocation has a mismatch between the kwarg and the option entry.",
                category=DeprecationWarning,
                stacklevel=3,
            )
        merged = self._merge_options(options)
        sig_options = {
            "verify_signature": verify_signature,
            "enforce_minimum_key_length": merged.get("enforce_minimum_key_length", False),
        }
        decoded = self._jws.decode_complete(
            jwt, key=key, algorithms=algorithms, options=sig_options, detached_payload=detached_payload
        )
        payload = self._decode_payload(decoded)
        self._validate_claims(payload, merged, audience=audience, issuer=issuer, leeway=leeway, subject=subject)
        decoded["payload"] = payload
        return decoded

    def _decode_payload(self, decoded: Dict[str, Any]) -> Dict[str, Any]:
        """Parse the verified payload bytes; override to change the payload encoding."""
        return _core.load_claims(decoded["payload"])

    #: Verify and validate a JWT; return its claims. Compiled (fastjwt._memo.decode):
    #: repeated calls are answered by the decode cache (fastjwt.decode_cache) with
    #: the same results and errors; every other call goes to _decode_uncached.
    decode = _compiled_decode

    def _decode_uncached(
        self,
        jwt: Any,
        key: Any,
        algorithms: Optional[Sequence[str]],
        options: Optional[Dict[str, Any]],
        verify: Optional[bool],
        detached_payload: Optional[bytes],
        audience: Union[str, Iterable[str], None],
        subject: Optional[str],
        issuer: Union[str, Container[str], None],
        leeway: Union[float, timedelta],
        kwargs: Dict[str, Any],
    ) -> Dict[str, Any]:
        """``decode`` when the cache did not answer (PyJWT's path)."""
        if type(self) is PyJWT and not kwargs and verify is None and detached_payload is None:
            return self._decode_complete_uncached(  # type: ignore[no-any-return]
                jwt, key, algorithms, options, None, None, audience, issuer, subject, leeway
            )["payload"]
        if kwargs:
            _warn_extra_kwargs("decode", kwargs)
        return self.decode_complete(  # type: ignore[no-any-return]  # a subclass may override it
            jwt,
            key,
            algorithms,
            options,
            verify=verify,
            detached_payload=detached_payload,
            audience=audience,
            subject=subject,
            issuer=issuer,
            leeway=leeway,
        )["payload"]

    def _validate_claims(
        self,
        payload: Dict[str, Any],
        options: Dict[str, Any],
        audience: Union[str, Iterable[str], None] = None,
        issuer: Union[str, Container[str], None] = None,
        subject: Optional[str] = None,
        leeway: Union[float, timedelta] = 0,
    ) -> None:
        ClaimRules(options, audience=audience, issuer=issuer, subject=subject, leeway=leeway).check(
            payload, time.time()
        )

    # PyJWT's private per-claim validators, which its own suite and some users call.
    def _validate_iss(self, payload: Dict[str, Any], issuer: Any) -> None:
        ClaimRules(self.options, issuer=issuer).check_iss(payload)

    def _validate_aud(self, payload: Dict[str, Any], audience: Any, *, strict: bool = False) -> None:
        ClaimRules({**self.options, "strict_aud": strict}, audience=audience).check_aud(payload)

    def _validate_required_claims(self, payload: Dict[str, Any], claims: Iterable[str]) -> None:
        ClaimRules({**self.options, "require": list(claims)}).check_required(payload)


decode_cache.guard(PyJWT)
_jwt_global_obj = PyJWT()
_jwt_global_obj._jws = _jws_global_obj

# PyJWT's module-level names, bound to the global PyJWT (whose PyJWS is the global one).
encode = _jwt_global_obj.encode
decode_complete = _jwt_global_obj.decode_complete
decode = _jwt_global_obj.decode
