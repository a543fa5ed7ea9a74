"""Shared fixtures: keys are generated at test time, once per session."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from _support import FAMILIES, get_keys


@pytest.fixture(scope="session")
def keys() -> Dict[str, Any]:
    """Private keys by family (RSA 2048, P-256/384/521, secp256k1, Ed25519, Ed448)."""
    keys = get_keys()  # the same keys as _support's, generated once
    return {family: keys[family] for family in FAMILIES}
