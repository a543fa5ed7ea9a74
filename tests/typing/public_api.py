"""reveal_type checks of the public API, run by tests/test_typing.py under mypy and basedpyright.

Each ``reveal_type`` line carries the exact type both checkers must reveal,
``# revealed: T``, or, where their spellings differ, ``# mypy: T`` and
``# pyright: U``. Names that ``fastjwt`` loads lazily at run time
(``JWKSClient``, ``DirectoryKeySource``...) must have their real types here,
not ``Any``. This file is only type-checked, never run.
"""

from __future__ import annotations

import fastjwt
import fastjwt.grpc
import fastjwt.grpc.aio
from fastjwt import AsyncJWKSClient, DirectoryKeySource, JWKSClient, Key, KeySet, PyJWKClient, Validator
from fastjwt.grpc import AuthInterceptor, Policy, RefreshingTokenProvider, TokenCallCredentials, current_claims

SECRET = "a-test-secret-of-at-least-32-bytes"
URL = "https://issuer.example/jwks.json"

# The native API.
validator = Validator(SECRET, algorithms=["HS256"])
reveal_type(validator)  # mypy: fastjwt.validator.Validator  # pyright: Validator
reveal_type(validator.decode("t"))  # mypy: dict[str, Any]  # pyright: Dict[str, Any]
reveal_type(validator.decode_complete("t"))  # mypy: dict[str, Any]  # pyright: Dict[str, Any]
reveal_type(Key(SECRET, kid="k1", alg="HS256"))  # mypy: fastjwt.keys.Key  # pyright: Key
reveal_type(KeySet([Key(SECRET)]))  # mypy: fastjwt.keys.KeySet  # pyright: KeySet
reveal_type(fastjwt.__version__)  # mypy: str  # pyright: str

# Lazily loaded at run time, typed for the checkers.
reveal_type(JWKSClient(URL))  # mypy: fastjwt.remote_keys.JWKSClient  # pyright: JWKSClient
reveal_type(fastjwt.JWKSClient(URL))  # mypy: fastjwt.remote_keys.JWKSClient  # pyright: JWKSClient
reveal_type(AsyncJWKSClient(URL))  # mypy: fastjwt.remote_keys.AsyncJWKSClient  # pyright: AsyncJWKSClient
reveal_type(DirectoryKeySource("keys"))  # mypy: fastjwt.key_directory.DirectoryKeySource  # pyright: DirectoryKeySource
reveal_type(PyJWKClient(URL))  # mypy: fastjwt.jwks_client.PyJWKClient  # pyright: PyJWKClient
reveal_type(Validator(KeySet([]), algorithms=["RS256"]))  # mypy: fastjwt.validator.Validator  # pyright: Validator

# The PyJWT-compatible API (PyJWT types decode's result as Any).
reveal_type(fastjwt.encode({"sub": "a"}, SECRET, algorithm="HS256"))  # mypy: str  # pyright: str
reveal_type(fastjwt.decode("t", SECRET, algorithms=["HS256"]))  # revealed: Any
reveal_type(fastjwt.decode_complete("t", SECRET, algorithms=["HS256"]))  # mypy: dict[str, Any]  # pyright: Dict[str, Any]
reveal_type(fastjwt.get_unverified_header("t"))  # mypy: dict[str, Any]  # pyright: Dict[str, Any]
reveal_type(fastjwt.PyJWK({"kty": "oct", "k": "c2VjcmV0"}))  # mypy: fastjwt.api_jwk.PyJWK  # pyright: PyJWK

# The gRPC adapter (grpcio ships no types for mypy: its classes are Any there).
policy = Policy({"/pkg.Service/Method": {"scopes": ["read"]}})
reveal_type(policy)  # mypy: fastjwt.grpc.policy.Policy  # pyright: Policy
reveal_type(AuthInterceptor(validator, policy))  # mypy: fastjwt.grpc._server.AuthInterceptor  # pyright: AuthInterceptor
reveal_type(fastjwt.grpc.aio.AuthInterceptor(validator, policy))  # mypy: fastjwt.grpc._server_aio.AuthInterceptor  # pyright: AuthInterceptor
reveal_type(current_claims())  # mypy: dict[str, Any] | None  # pyright: Dict[str, Any] | None


def fetch() -> str:
    return "token"


provider = RefreshingTokenProvider(fetch)
reveal_type(provider)  # mypy: fastjwt.grpc._client.RefreshingTokenProvider  # pyright: RefreshingTokenProvider
reveal_type(TokenCallCredentials(provider))  # mypy: Any  # pyright: CallCredentials


async def afetch() -> str:
    return "token"


reveal_type(fastjwt.grpc.aio.RefreshingTokenProvider(afetch))  # mypy: fastjwt.grpc._client_aio.RefreshingTokenProvider  # pyright: RefreshingTokenProvider
