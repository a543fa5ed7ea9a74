"""One adapter per JWT implementation, all in the :data:`ADAPTERS` table.

An adapter turns a :class:`~bench.fixtures.Case` into a *decoder*: a
one-argument callable that fully validates a token (signature, ``exp``/``nbf``,
audience, issuer, algorithm allowlist, ``exp`` required) and returns its
claims as a mapping.  Keys are imported into the library's own key type once,
in ``build``, outside any timed region -- as a long-running server would.

Before a decoder is timed, :func:`prepare` checks that it returns exactly the
expected claims and rejects every token in ``case.bad_tokens`` with one of the
library's own exceptions; otherwise the adapter is marked "fails correctness".
"""

from __future__ import annotations

import importlib.metadata
import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

from bench.fixtures import ALGORITHMS, AUDIENCE, ISSUER, Case, b64url_encode, make_distinct_tokens
from bench.timing import ArgSource

Decoder = Callable[[str], Mapping[str, Any]]
ErrorTypes = tuple[type[BaseException], ...]

OK = "ok"
NOT_INSTALLED = "not installed"
UNSUPPORTED = "unsupported"
FAILS_CORRECTNESS = "fails correctness"
ERROR = "error"


class Unsupported(Exception):
    """Raised by a builder when the library cannot do what the case needs."""


@dataclass(frozen=True)
class Adapter:
    """How to benchmark one implementation.

    ``build`` returns the decoder for a case; ``errors`` returns the exception
    types that count as a proper rejection; ``dist`` names the distribution
    whose version is reported; ``tokens``, if set, makes the argument source
    of a timed run (first-seen tokens, say) from the case and the decoder.
    ``family`` is ``"fastjwt"`` for fastjwt's own entry points and ``"peer"`` for the libraries it is compared against.
    """

    name: str
    dist: str
    build: Callable[[Case], Decoder]
    errors: Callable[[], ErrorTypes]
    family: str = "peer"
    algorithms: frozenset[str] = frozenset(ALGORITHMS)
    note: str = ""
    #: The tokens a timed run hands the decoder; None: fresh copies of ``case.token``.
    tokens: Callable[[Case, Decoder], ArgSource] | None = None


@dataclass
class Prepared:
    """An adapter readied for one case: a checked decoder, or why there is none."""

    adapter: Adapter
    status: str
    detail: str = ""
    decoder: Decoder | None = None
    errors: ErrorTypes = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the decoder passed the correctness checks."""
        return self.status == OK

    @property
    def label(self) -> str:
        """Status text for tables: the status plus its detail."""
        return f"{self.status}: {self.detail}" if self.detail else self.status


# ---------------------------------------------------------------- key helpers


def _pem(case: Case) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM (asymmetric algorithms only)."""
    if case.keys.public_pem is None:
        raise Unsupported("no public key")
    return case.keys.public_pem


def _kty(alg: str) -> str:
    """The JWK key type used by ``alg``."""
    if alg.startswith("HS"):
        return "oct"
    if alg[:2] in ("RS", "PS"):
        return "RSA"
    return "EC" if alg.startswith("ES") else "OKP"


def _require_alg(adapter_algs: frozenset[str], alg: str) -> None:
    """Raise :class:`Unsupported` if the library has no implementation of ``alg``."""
    if alg not in adapter_algs:
        raise Unsupported(f"{alg} not implemented")


# ---------------------------------------------------------------- fastjwt


def _import_fastjwt(*names: str) -> Any:
    """Import fastjwt, treating a missing public name as "not installed (yet)"."""
    import fastjwt

    missing = [name for name in names if not hasattr(fastjwt, name)]
    if missing:
        raise ImportError(f"fastjwt does not export {', '.join(missing)} yet")
    return fastjwt


def _fastjwt_errors() -> ErrorTypes:
    """fastjwt raises PyJWT-shaped exceptions rooted at ``PyJWTError``."""
    from fastjwt.exceptions import PyJWTError

    return (PyJWTError,)


def _fastjwt_module(case: Case) -> Decoder:
    """``fastjwt.decode`` called exactly like ``jwt.decode``."""
    fastjwt = _import_fastjwt("decode")
    key, algs, options = case.keys.verifying_key, [case.alg], {"require": ["exp"]}

    def decode(token: str) -> Mapping[str, Any]:
        return fastjwt.decode(token, key, algorithms=algs, audience=AUDIENCE, issuer=ISSUER, options=options)

    return decode


def supports_cache() -> bool:
    """True once ``fastjwt.Validator`` has the verified-token cache."""
    fastjwt = _import_fastjwt("Validator")
    return hasattr(fastjwt.Validator, "cache_info")


#: Validators by the id of their ``decode``: a Validator's ``decode`` is its
#: compiled pipeline's method, whose ``__self__`` is not the Validator.
_OWNERS: dict[int, Any] = {}


def validator_of(decoder: Decoder) -> Any:
    """The Validator behind a decoder built here (or the decoder's ``__self__``)."""
    return _OWNERS.get(id(decoder), getattr(decoder, "__self__", None))


def _registered(validator: Any) -> Decoder:
    decode: Decoder = validator.decode
    _OWNERS[id(decode)] = validator  # the validator (and so its decode) stays alive with the entry
    return decode


def make_validator(case: Case, cache: bool) -> Any:
    """A ``fastjwt.Validator`` for ``case``; ``cache`` selects the verified-token cache."""
    fastjwt = _import_fastjwt("Validator")

    kwargs: dict[str, Any] = {
        "algorithms": [case.alg],
        "audience": AUDIENCE,
        "issuer": ISSUER,
        "leeway": 0,
        "require": ["exp"],
    }
    try:
        return fastjwt.Validator(case.keys.verifying_key, cache=cache, **kwargs)
    except TypeError:
        if cache:
            raise Unsupported("Validator has no cache= yet") from None
        return fastjwt.Validator(case.keys.verifying_key, **kwargs)


def _fastjwt_validator(case: Case) -> Decoder:
    """The default ``Validator`` (cache on), timed on first-seen tokens (see :func:`first_seen`)."""
    return _registered(make_validator(case, cache=True))


def _fastjwt_uncached(case: Case) -> Decoder:
    """``Validator.decode`` with ``cache=False``: every call verifies, nothing is remembered."""
    return _registered(make_validator(case, cache=False))


def _fastjwt_cached(case: Case) -> Decoder:
    """``Validator.decode`` with the cache on; timed on cache hits after warm-up."""
    if not supports_cache():
        raise Unsupported("Validator has no cache yet")
    return _registered(make_validator(case, cache=True))


#: The cache size of the evicting row: full after warm-up, then every token evicts one.
EVICTING_CACHE_SIZE = 1000


def _fastjwt_evicting(case: Case) -> Decoder:
    """The default ``Validator`` with ``cache_size=1000``, kept full (see :func:`evicting`)."""
    fastjwt = _import_fastjwt("Validator")
    if not supports_cache():
        raise Unsupported("Validator has no cache yet")
    kwargs: dict[str, Any] = {"algorithms": [case.alg], "audience": AUDIENCE, "issuer": ISSUER, "require": ["exp"]}
    return _registered(fastjwt.Validator(case.keys.verifying_key, cache_size=EVICTING_CACHE_SIZE, **kwargs))


class _TokenPool:
    """Distinct valid tokens of a case, signed on demand (outside any timed region)."""

    def __init__(self, case: Case, seed: int) -> None:
        self.case = case
        self.seed = seed
        self.tokens: list[str] = []

    def first(self, n: int) -> list[str]:
        """The first ``n`` tokens, signing more as needed."""
        if n > len(self.tokens):
            more = max(n - len(self.tokens), len(self.tokens) // 2, 64)
            self.tokens += make_distinct_tokens(self.case.keys, more, seed=self.seed + len(self.tokens),
                                                shape=self.case.shape)
        return self.tokens[:n]


def first_seen(case: Case, decoder: Decoder) -> ArgSource:
    """Tokens the validator has not seen: distinct tokens, fresh ``str`` objects,
    the validator's cache emptied before each run (as at the start of sessions
    and after token refreshes; the cache has room)."""
    pool = _TokenPool(case, seed=101)
    clear: Callable[[], None] = getattr(validator_of(decoder), "cache_clear", lambda: None)

    def source(n: int) -> list[str]:
        tokens = pool.first(n)
        clear()
        return [token.encode("ascii").decode("ascii") for token in tokens]

    return source


def evicting(case: Case, decoder: Decoder) -> ArgSource:
    """Cache full, every token a miss that evicts one: the tokens of a pool one
    larger than the cache, presented round-robin (the least recently used is
    always the next one presented), the cache filled before the first run."""
    tokens = _TokenPool(case, seed=202).first(EVICTING_CACHE_SIZE + 1)
    for token in tokens:
        decoder(token)
    cursor = [0]

    def source(n: int) -> list[str]:
        start = cursor[0]
        cursor[0] = (start + n) % len(tokens)
        return [tokens[(start + i) % len(tokens)].encode("ascii").decode("ascii") for i in range(n)]

    return source


# ---------------------------------------------------------------- PyJWT


def _pyjwt_errors() -> ErrorTypes:
    import jwt

    return (jwt.PyJWTError,)


def _pyjwt(case: Case) -> Decoder:
    """``jwt.decode`` with a ``cryptography`` key object (or the raw HMAC secret)."""
    import jwt

    key, algs = case.keys.verifying_key, [case.alg]
    options: Any = {"require": ["exp"]}

    def decode(token: str) -> Mapping[str, Any]:
        return jwt.decode(token, key, algorithms=algs, audience=AUDIENCE, issuer=ISSUER, options=options)

    return decode


# ---------------------------------------------------------------- joserfc


def _joserfc_errors() -> ErrorTypes:
    from joserfc.errors import JoseError

    return (JoseError,)


def _joserfc_key(case: Case) -> Any:
    """Import the verifying key into joserfc's key class."""
    from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey

    classes: dict[str, Any] = {"oct": OctKey, "RSA": RSAKey, "EC": ECKey, "OKP": OKPKey}
    raw = case.keys.secret if case.keys.is_hmac else _pem(case)
    return classes[_kty(case.alg)].import_key(raw)


def _joserfc(case: Case) -> Decoder:
    """``joserfc.jwt.decode`` plus a ``JWTClaimsRegistry`` for the claim checks."""
    from joserfc import jwt
    from joserfc.errors import SecurityWarning

    # joserfc warns "EdDSA is deprecated via RFC 9864" on every EdDSA decode.
    warnings.filterwarnings("ignore", category=SecurityWarning)
    key, algs = _joserfc_key(case), [case.alg]
    registry = jwt.JWTClaimsRegistry(
        leeway=0,
        iss={"essential": True, "value": ISSUER},
        aud={"essential": True, "value": AUDIENCE},
        exp={"essential": True},
    )

    def decode(token: str) -> Mapping[str, Any]:
        result = jwt.decode(token, key, algorithms=algs)
        registry.validate(result.claims)
        return result.claims

    return decode


# ---------------------------------------------------------------- authlib


def _import_authlib_jose() -> Any:
    """Import ``authlib.jose`` without its module-level deprecation warning.

    ``authlib.deprecate`` installs an "always" filter when first imported, so
    it is imported before the suppressing filter goes in front of it.
    """
    import authlib.deprecate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import authlib.jose

    return authlib.jose


def _authlib_errors() -> ErrorTypes:
    return (_import_authlib_jose().JoseError,)


def _authlib(case: Case) -> Decoder:
    """``authlib.jose.JsonWebToken.decode`` then ``claims.validate()``."""
    jose = _import_authlib_jose()
    classes = {"oct": jose.OctKey, "RSA": jose.RSAKey, "EC": jose.ECKey, "OKP": jose.OKPKey}
    raw = case.keys.secret if case.keys.is_hmac else _pem(case)
    key = classes[_kty(case.alg)].import_key(raw)
    jwt = jose.JsonWebToken([case.alg])
    options = {
        "iss": {"essential": True, "value": ISSUER},
        "aud": {"essential": True, "value": AUDIENCE},
        "exp": {"essential": True},
    }

    def decode(token: str) -> Mapping[str, Any]:
        claims = jwt.decode(token, key, claims_options=options)
        claims.validate(leeway=0)
        return claims

    return decode


# ---------------------------------------------------------------- jwcrypto


def _jwcrypto_errors() -> ErrorTypes:
    from jwcrypto.common import JWException

    return (JWException,)


def _jwcrypto(case: Case) -> Decoder:
    """``jwcrypto.jwt.JWT`` with ``check_claims``; the default 60 s leeway set to 0.

    Once ``check_claims`` is given, jwcrypto checks ``nbf`` only if it is
    listed there (which also makes ``nbf`` mandatory), so it is listed.
    """
    from jwcrypto import jwk, jwt

    if case.keys.is_hmac:
        key = jwk.JWK(kty="oct", k=b64url_encode(case.keys.secret))
    else:
        key = jwk.JWK.from_pem(_pem(case))
    algs = [case.alg]
    check = {"iss": ISSUER, "aud": AUDIENCE, "exp": None, "nbf": None}

    def decode(token: str) -> Mapping[str, Any]:
        parsed = jwt.JWT(algs=algs, check_claims=check, expected_type="JWS")
        parsed.leeway = 0
        parsed.deserialize(token, key)
        return json.loads(parsed.claims)

    return decode


# ---------------------------------------------------------------- python-jose

_PYTHON_JOSE_ALGS = frozenset({"HS256", "HS512", "RS256", "ES256", "ES384"})


def _python_jose_errors() -> ErrorTypes:
    from jose.exceptions import JOSEError

    return (JOSEError,)


def _python_jose(case: Case) -> Decoder:
    """``jose.jwt.decode`` with a pre-constructed ``jose.jwk`` key object."""
    _require_alg(_PYTHON_JOSE_ALGS, case.alg)
    from jose import jwk, jwt

    raw = case.keys.secret if case.keys.is_hmac else _pem(case)
    key, algs, options = jwk.construct(raw, case.alg), [case.alg], {"require_exp": True}

    def decode(token: str) -> Mapping[str, Any]:
        return jwt.decode(token, key, algorithms=algs, audience=AUDIENCE, issuer=ISSUER, options=options)

    return decode


# ---------------------------------------------------------------- oxyjwt


def _oxyjwt_errors() -> ErrorTypes:
    import oxyjwt

    return (oxyjwt.OxyJWTError,)


def _oxyjwt_key(case: Case) -> Any:
    """Import the verifying key into an ``oxyjwt.DecodingKey``."""
    from oxyjwt import DecodingKey

    if case.keys.is_hmac:
        return DecodingKey.from_secret(case.keys.secret)
    loaders = {"RSA": DecodingKey.from_rsa_pem, "EC": DecodingKey.from_ec_pem, "OKP": DecodingKey.from_ed_pem}
    return loaders[_kty(case.alg)](_pem(case))


def _oxyjwt(case: Case) -> Decoder:
    """``oxyjwt.decode`` (PyJWT-shaped) with a pre-loaded ``DecodingKey``.

    ``options={"require": ["exp"]}`` is needed to reject a token without
    ``exp``; passing any ``options`` takes oxyjwt off its native fast path.
    """
    import oxyjwt

    key, algs, options = _oxyjwt_key(case), [case.alg], {"require": ["exp"]}

    def decode(token: str) -> Mapping[str, Any]:
        return oxyjwt.decode(token, key, algorithms=algs, audience=AUDIENCE, issuer=ISSUER, options=options)

    return decode


# ---------------------------------------------------------------- the table

FASTJWT_DIST = "fastjwt-validator"

ADAPTERS: tuple[Adapter, ...] = (
    Adapter("fastjwt.decode", FASTJWT_DIST, _fastjwt_module, _fastjwt_errors, family="fastjwt"),
    Adapter(
        "fastjwt Validator",
        FASTJWT_DIST,
        _fastjwt_validator,
        _fastjwt_errors,
        family="fastjwt",
        note="the default Validator (cache on) fed first-seen tokens: lookup, verify, remember",
        tokens=first_seen,
    ),
    Adapter(
        "fastjwt Validator, cache=False",
        FASTJWT_DIST,
        _fastjwt_uncached,
        _fastjwt_errors,
        family="fastjwt",
        note="Validator(..., cache=False): verify every call, remember nothing",
    ),
    Adapter(
        "fastjwt Validator, cache full",
        FASTJWT_DIST,
        _fastjwt_evicting,
        _fastjwt_errors,
        family="fastjwt",
        note=f"cache_size={EVICTING_CACHE_SIZE}, full: every first-seen token evicts one (steady state)",
        tokens=evicting,
    ),
    Adapter("fastjwt Validator cached hit", FASTJWT_DIST, _fastjwt_cached, _fastjwt_errors, family="fastjwt"),
    Adapter("PyJWT", "PyJWT", _pyjwt, _pyjwt_errors),
    Adapter(
        "joserfc",
        "joserfc",
        _joserfc,
        _joserfc_errors,
        note="claims checked by a JWTClaimsRegistry; its per-decode EdDSA SecurityWarning is filtered",
    ),
    Adapter(
        "authlib",
        "authlib",
        _authlib,
        _authlib_errors,
        note="authlib.jose (deprecated upstream in favour of joserfc)",
    ),
    Adapter(
        "jwcrypto",
        "jwcrypto",
        _jwcrypto,
        _jwcrypto_errors,
        note="leeway set to 0 (default 60 s); nbf listed in check_claims, else unchecked",
    ),
    Adapter(
        "python-jose",
        "python-jose",
        _python_jose,
        _python_jose_errors,
        algorithms=_PYTHON_JOSE_ALGS,
        note="no PS256 or EdDSA; options={'require_exp': True}",
    ),
    Adapter(
        "oxyjwt",
        "oxyjwt",
        _oxyjwt,
        _oxyjwt_errors,
        note="options={'require': ['exp']} leaves its native fast path",
    ),
)

REFERENCE = "PyJWT"


def adapter_named(name: str) -> Adapter:
    """Look an adapter up by its display name."""
    for adapter in ADAPTERS:
        if adapter.name == name:
            return adapter
    raise KeyError(name)


def version_of(dist: str) -> str | None:
    """Installed version of a distribution, or None if it is not installed."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


# ---------------------------------------------------------------- correctness


def _same_claims(got: Any, expected: Mapping[str, Any]) -> bool:
    """True when ``got`` is a mapping equal to ``expected``."""
    return isinstance(got, Mapping) and dict(got) == dict(expected)


def correctness_problem(decoder: Decoder, errors: ErrorTypes, case: Case) -> str | None:
    """Why ``decoder`` is not a correct validator for ``case``, or None if it is."""
    try:
        got = decoder(case.token)
    except Exception as exc:  # noqa: BLE001 - any failure here is the finding
        return f"valid token raised {type(exc).__name__}: {exc}"
    if not _same_claims(got, case.claims):
        return f"valid token returned unexpected claims {got!r}"
    for what, bad in case.bad_tokens.items():
        try:
            decoder(bad)
        except errors:
            continue
        except Exception as exc:  # noqa: BLE001
            return f"{what}: raised {type(exc).__name__} ({exc}), not the library's error"
        return f"{what}: token accepted"
    return None


def prepare(adapter: Adapter, case: Case) -> Prepared:
    """Build and check ``adapter``'s decoder for ``case``."""
    if adapter.algorithms and case.alg not in adapter.algorithms:
        return Prepared(adapter, UNSUPPORTED, f"{case.alg} not implemented")
    try:
        errors = adapter.errors()
        decoder = adapter.build(case)
    except ImportError as exc:
        return Prepared(adapter, NOT_INSTALLED, str(exc))
    except Unsupported as exc:
        return Prepared(adapter, UNSUPPORTED, str(exc))
    except Exception as exc:  # noqa: BLE001 - report, keep benchmarking the rest
        return Prepared(adapter, ERROR, f"{type(exc).__name__}: {exc}")
    problem = correctness_problem(decoder, errors, case)
    if problem:
        return Prepared(adapter, FAILS_CORRECTNESS, problem)
    return Prepared(adapter, OK, decoder=decoder, errors=errors)
