from typing import Any, Callable, Dict, Optional, Tuple, Union

class HeaderVerdict:
    header: Optional[Dict[str, Any]]
    alg: Any
    verify: Optional[Callable[[bytes, bytes], bool]]
    typ_ok: bool
    segment: Optional[bytes]
    def __init__(
        self,
        header: Optional[Dict[str, Any]],
        alg: Any,
        verify: Optional[Callable[[bytes, bytes], bool]],
        typ_ok: bool,
        segment: Optional[bytes] = ...,
    ) -> None: ...

def split(token: Union[str, bytes], max_length: int) -> Tuple[Dict[str, Any], bytes, bytes, bytes]: ...
def load_claims(payload: bytes) -> Dict[str, Any]: ...
def b64decode(data: Union[str, bytes], name: str = ...) -> bytes: ...
def b64encode(data: bytes) -> bytes: ...
def der_signature(raw: bytes) -> bytes: ...
