from typing import Any, Callable, Dict, Optional, Tuple, Union

from ._cache import Entry, TokenStore
from ._core import HeaderVerdict
from ._rules import ClaimRules

HEADER_MEMO_SIZE: int
HEADER_MEMO_BYTES: int

class Pipeline:
    memo: Dict[bytes, HeaderVerdict]
    def __init__(
        self,
        max_length: int,
        rules: ClaimRules,
        clock: Callable[[], float],
        judge: Callable[[Dict[str, Any]], HeaderVerdict],
        verify_with_keys: Optional[Callable[[Union[str, bytes], Dict[str, Any], str, bytes, bytes], Any]] = None,
        cache: Optional[TokenStore] = None,
        key_state: Optional[Callable[[], Any]] = None,
        single: Any = None,
        stale: Optional[Callable[[Union[str, bytes], Entry], Optional[Dict[str, Any]]]] = None,
    ) -> None: ...
    def run(self, token: Union[str, bytes]) -> Tuple[Dict[str, Any], Dict[str, Any], bytes, bytes, Any]: ...
    def cached(self, token: Union[str, bytes]) -> Optional[Dict[str, Any]]: ...
    def cached_shared(self, token: Union[str, bytes]) -> Optional[Dict[str, Any]]: ...
    def decode(self, token: Union[str, bytes]) -> Dict[str, Any]: ...
    def decode_complete(self, token: Union[str, bytes]) -> Tuple[Dict[str, Any], Dict[str, Any], bytes]: ...
