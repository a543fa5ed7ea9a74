from typing import Any, Dict, Optional, Tuple, Union

from cachetools import LRUCache

def copy_json(value: Dict[str, Any]) -> Dict[str, Any]: ...
TOKEN_KEY_BYTES: int

def token_key(token: object) -> Optional[str]: ...
def remembered(claims: Dict[str, Any], previous: Dict[str, Any]) -> Tuple[Dict[str, Any], Tuple[str, ...]]: ...

class Entry:
    token: Union[str, bytes, None]
    claims: Dict[str, Any]
    key: Any
    start: float
    end: float
    nested: Tuple[str, ...]
    def __init__(
        self, claims: Dict[str, Any], key: Any, start: float, end: float, nested: Tuple[str, ...] = ...
    ) -> None: ...

class Refusal:
    state: Any
    error_type: type
    args: Tuple[Any, ...]
    since: float
    token: Union[str, bytes]
    def __init__(
        self, state: Any, error_type: type, args: Tuple[Any, ...], since: float, token: Union[str, bytes]
    ) -> None: ...

class Lock:
    def __enter__(self) -> Lock: ...
    def __exit__(self, *exc_info: Any) -> None: ...

class LRUView:
    lru: Any
    evictions: int
    inserts: int
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
    def entry(self, token: Any) -> Optional[Entry]: ...
    def forget(self, token: Any) -> None: ...
    def reject(self, token: Any, key_state: Any, error: BaseException, since: float = ...) -> None: ...
