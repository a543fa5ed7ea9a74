"""pytest-benchmark benchmarks: ``pytest bench/ --benchmark-only``.

fastjwt's ``Validator`` (``cache=False`` and cached hit), ``fastjwt.decode`` and
PyJWT on HS256, RS256, ES256 and EdDSA.  Each benchmark first runs the same
correctness checks as ``python -m bench.compare`` and then asserts that the
benchmarked call returned exactly the expected claims.

Every benchmarked call receives a fresh copy of the token string, as a server
would: CPython caches a string's hash on the object, so reusing one object
would make a cache keyed on the token look cheaper than it is.  The copy costs
the same small amount in every benchmark.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from bench.fixtures import Case, make_case
from bench.peers import NOT_INSTALLED, UNSUPPORTED, Decoder, adapter_named, prepare

ALGS: tuple[str, ...] = ("HS256", "RS256", "ES256", "EdDSA")
IMPLEMENTATIONS: tuple[str, ...] = (
    "fastjwt Validator, cache=False",
    "fastjwt Validator cached hit",
    "fastjwt.decode",
    "PyJWT",
)


@pytest.fixture(scope="module", params=ALGS)
def case(request: pytest.FixtureRequest) -> Case:
    """One key pair and token per algorithm, shared by the module."""
    return make_case(request.param)


def checked_decoder(name: str, case: Case) -> Decoder:
    """The implementation's decoder; a missing peer or a wrong result fails the benchmark
    (peers come with ``pip install '.[bench]'``)."""
    prepared = prepare(adapter_named(name), case)
    assert prepared.status not in (NOT_INSTALLED, UNSUPPORTED), f"{name}: {prepared.label}"
    assert prepared.ok and prepared.decoder is not None, f"{name}: {prepared.label}"
    return prepared.decoder


def fresh_token_call(decoder: Decoder, token: str) -> Callable[[], Any]:
    """A no-argument call that decodes a fresh copy of ``token``."""
    encoded = token.encode("ascii")
    return lambda: decoder(encoded.decode("ascii"))


@pytest.mark.parametrize("name", IMPLEMENTATIONS)
def test_decode(benchmark: Any, case: Case, name: str) -> None:
    """Full validating decode of one valid token."""
    benchmark.group = f"decode {case.alg}"
    decoder = checked_decoder(name, case)
    claims = benchmark(fresh_token_call(decoder, case.token))
    assert dict(claims) == case.claims
