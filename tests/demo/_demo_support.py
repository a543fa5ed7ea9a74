"""Constants and a settable clock shared by the demo tests (imported as ``_demo_support``)."""

from __future__ import annotations

CLIENT_ID = "demo-client"
CLIENT_SECRET = "client-secret-7f3a9c1e5b2d4f60"
USERNAME = "alice"
PASSWORD = "correct-horse-battery-staple"
ISSUER = "https://token.demo.test"
AUDIENCE = "fastjwt-demo-api"
#: Cheap scrypt for most tests (the default cost is tested in test_secrets_hash.py).
TEST_COST = 8


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
