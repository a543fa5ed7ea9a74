"""Validator: the reusable fast path for servers.

Everything that does not change between calls (key loading, algorithm
resolution, per-algorithm verification contexts, option merging, audience
and issuer sets) is done once in ``__init__``; ``decode`` then runs the
compiled split, one signature check and the compiled claim rules.
It gives the same results and raises the same exceptions as
``fastjwt.decode`` with the same arguments.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Container, Iterable, Sequence
from datetime import timedelta
from typing import Any, Callable, Dict, Mapping, NoReturn, Optional, Tuple, Type, Union

from ._core import load_claims, split
from .algorithms import Algorithm, Verifier, get_default_algorithms
from .api_jws import DEFAULT_MAX_TOKEN_LENGTH
from .exceptions import DecodeError, InvalidAlgorithmError, InvalidKeyError, InvalidSignatureError
from .rules import DEFAULT_OPTIONS, ClaimRules, InvalidTokenTypeError, check_header, merge_options, normalize_typ
from .warnings import InsecureKeyLengthWarning

__all__ = ["Validator"]

_ALGORITHMS: Dict[str, Algorithm] = get_default_algorithms()
_MISSING: Any = object()


class Validator:
    """Validate tokens signed with one key under one policy.

    Args:
        key: the verification key, in any form ``fastjwt.decode`` accepts
            (HMAC secret, PEM/DER/SSH text, X.509 certificate, a
            ``cryptography`` key object, or a :class:`fastjwt.PyJWK`).
        algorithms: the allowlist. The token's ``alg`` only selects among
            these; ``none`` is refused.
        audience, issuer, subject, leeway, options: as in ``fastjwt.decode``.
        require: claims that must be present (added to ``options["require"]``).
        typ: expected ``typ`` header, e.g. ``"at+jwt"`` (RFC 9068); compared
            case-insensitively, with an optional ``application/`` prefix.
        max_age: maximum age of the token from its ``iat`` (seconds or
            timedelta); makes ``iat`` required.
        max_token_length: tokens longer than this many bytes are refused
            before any other work.
        clock: returns the current time in seconds since the epoch.
    """

    def __init__(
        self,
        key: Any,
        algorithms: Sequence[str],
        *,
        audience: Union[str, Iterable[str], None] = None,
        issuer: Union[str, Container[str], None] = None,
        subject: Optional[str] = None,
        leeway: Union[float, timedelta] = 0,
        require: Iterable[str] = (),
        options: Optional[Mapping[str, Any]] = None,
        typ: Optional[str] = None,
        max_age: Union[float, timedelta, None] = None,
        max_token_length: int = DEFAULT_MAX_TOKEN_LENGTH,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(algorithms, str) or not algorithms:
            raise ValueError("algorithms must be a non-empty list of algorithm names")
        if "none" in algorithms:
            raise ValueError("'none' cannot verify anything; remove it from algorithms")
        merged = merge_options(DEFAULT_OPTIONS, dict(options) if options else None)
        if not merged["verify_signature"]:
            raise ValueError("a Validator always verifies signatures; use fastjwt.decode to read unverified tokens")
        merged["require"] = list(merged["require"]) + [c for c in require if c not in merged["require"]]
        self._rules = ClaimRules(merged, audience=audience, issuer=issuer, subject=subject, leeway=leeway,
                                 max_age=max_age)
        self._allowed = frozenset(algorithms)
        self._typ = None if typ is None else normalize_typ(typ)
        self._max_length = max_token_length
        self._clock = clock
        self._verifiers: Dict[str, Verifier] = {}
        self._key_errors: Dict[str, Tuple[Type[Exception], Tuple[Any, ...]]] = {}
        self._prepare(key, merged["enforce_minimum_key_length"])

    def _prepare(self, key: Any, enforce_length: bool) -> None:
        from .api_jwk import PyJWK

        jwk_alg: Optional[str] = None
        if isinstance(key, PyJWK):
            jwk_alg, key = key.algorithm_name, key.key
        for alg in self._allowed:
            alg_obj = _ALGORITHMS.get(alg)
            if alg_obj is None:
                continue  # unknown names stay in the allowlist: "Algorithm not supported"
            if jwk_alg is not None and alg != jwk_alg:
                self._key_errors[alg] = (
                    InvalidAlgorithmError,
                    (f"Token algorithm {alg!r} does not match the key's algorithm {jwk_alg!r}",),
                )
                continue
            try:
                prepared = alg_obj.prepare_key(key)
            except (InvalidKeyError, TypeError, ValueError) as err:
                self._key_errors[alg] = (type(err), err.args)
                continue
            message = alg_obj.check_key_length(prepared)
            if message:
                if enforce_length:
                    raise InvalidKeyError(message)
                warnings.warn(message, InsecureKeyLengthWarning, stacklevel=4)
            self._verifiers[alg] = alg_obj.verifier(prepared)
        if not self._verifiers:
            if self._key_errors:
                error_type, args = next(iter(self._key_errors.values()))
                raise error_type(*args)
            raise InvalidAlgorithmError("Algorithm not supported")

    def decode(self, token: Union[str, bytes]) -> Dict[str, Any]:
        """Verify ``token`` and check its claims; return the claims (a new dict)."""
        return self.decode_complete(token)["payload"]

    def decode_complete(self, token: Union[str, bytes]) -> Dict[str, Any]:
        """Like :meth:`decode`, returning ``{"header", "payload", "signature"}``."""
        header, payload, signing_input, signature = split(token, self._max_length)
        check_header(header)
        if header.get("b64", True) is False:
            raise DecodeError("Unencoded payloads (b64: false) are not supported")
        try:
            verify = self._verifiers[header["alg"]]
        except (KeyError, TypeError):
            self._raise_for_alg(header)
        if not verify(signing_input, signature):
            raise InvalidSignatureError("Signature verification failed")
        if self._typ is not None and normalize_typ(str(header.get("typ", ""))) != self._typ:
            raise InvalidTokenTypeError("Invalid token type (typ header)")
        claims = load_claims(payload)
        self._rules.check(claims, self._clock())
        return {"header": header, "payload": claims, "signature": signature}

    def _raise_for_alg(self, header: Dict[str, Any]) -> NoReturn:
        if "alg" not in header:
            raise InvalidAlgorithmError("Algorithm not specified")
        alg = header["alg"]
        try:
            allowed = bool(alg) and alg in self._allowed
        except TypeError:
            allowed = False
        if not allowed:
            raise InvalidAlgorithmError("The specified alg value is not allowed")
        if alg in self._key_errors:
            # A fresh exception each time: re-raising one instance grows its traceback.
            error_type, args = self._key_errors[alg]
            raise error_type(*args)
        raise InvalidAlgorithmError("Algorithm not supported")
