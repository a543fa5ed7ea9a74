from typing import Any, Callable, Dict, Optional, Tuple, Union

from ._rules import ClaimRules

class Pipeline:
    def __init__(
        self,
        max_length: int,
        headers: Dict[bytes, Dict[str, Any]],
        verdicts: Dict[int, Any],
        rules: ClaimRules,
        clock: Callable[[], float],
        judge: Callable[[Dict[str, Any]], Any],
        remember: Callable[[bytes, Dict[str, Any], Any], None],
        verify_with_keys: Optional[Callable[[Union[str, bytes], Dict[str, Any], str, bytes, bytes], Any]] = None,
    ) -> None: ...
    def run(self, token: Union[str, bytes]) -> Tuple[Dict[str, Any], Dict[str, Any], bytes, bytes, Any]: ...
