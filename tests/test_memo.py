"""fastjwt._memo: the decode cache's compiled lookup and its validators' clock.
(The lookup's outcomes are tested through module-level decode in test_decode_cache.py.)"""

from __future__ import annotations

import time

import pytest

from fastjwt import _memo


def test_now_reads_the_system_clock_while_time_time_is_its_own() -> None:
    before = time.time()
    now = _memo.now()
    after = time.time()
    assert type(now) is float and before <= now <= after


def test_now_follows_time_time_while_it_is_patched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "time", lambda: 1234.5)
    assert _memo.now() == 1234.5
    monkeypatch.undo()
    assert abs(_memo.now() - time.time()) < 60
