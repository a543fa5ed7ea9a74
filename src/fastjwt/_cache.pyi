from typing import Any, Dict, Optional, Tuple

from cachetools import LRUCache

def copy_json(value: Dict[str, Any]) -> Dict[str, Any]: ...
def remembered(claims: Dict[str, Any], previous: Dict[str, Any]) -> Tuple[Dict[str, Any], Tuple[str, ...]]: ...

class Entry:
    claims: Dict[str, Any]
    key: Any
    start: float
    end: float
    nested: Tuple[str, ...]
    def __init__(
        self, claims: Dict[str, Any], key: Any, start: float, end: float, nested: Tuple[str, ...] = ...
    ) -> None: ...

class Lock:
    def __enter__(self) -> Lock: ...
    def __exit__(self, *exc_info: Any) -> None: ...

class LRUView:
    lru: Any
    evictions: int
    def __init__(self, lru: LRUCache, parts: Optional[Tuple[Any, Any, Dict[str, Any]]] = None) -> None: ...  # type: ignore[type-arg]
    @property
    def direct(self) -> bool: ...

class TokenStore:
    lock: Lock
    verified: LRUView
    rejected: LRUView
    hits: int
    misses: int
    rejected_hits: int
    def attach(self, verified: LRUView, rejected: LRUView) -> int: ...
    def put(self, token: Any, entry: Entry) -> None: ...
    def forget(self, token: Any) -> None: ...
    def reject(self, token: Any, key_state: Any, error: BaseException, since: float = ...) -> None: ...
