from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple

SUPPORTED_CRIT: FrozenSet[str]

def check_header(header: Dict[str, Any]) -> None: ...
def numeric_date(payload: Dict[str, Any], name: str, error: type, message: str) -> int: ...

class ClaimRules:
    require: Tuple[str, ...]
    verify_iat: bool
    verify_nbf: bool
    verify_exp: bool
    verify_iss: bool
    verify_aud: bool
    verify_sub: bool
    verify_jti: bool
    strict_aud: bool
    audience: Any
    audiences: Optional[FrozenSet[Any]]
    issuer: Any
    issuers: Optional[FrozenSet[str]]
    subject: Optional[str]
    leeway: float
    @property
    def max_age(self) -> Optional[float]: ...
    def __init__(
        self,
        options: Mapping[str, Any],
        audience: Any = None,
        issuer: Any = None,
        subject: Optional[str] = None,
        leeway: Any = 0,
        max_age: Any = None,
    ) -> None: ...
    def check(self, payload: Dict[str, Any], now: float) -> None: ...
    def check_times(self, payload: Dict[str, Any], now: float) -> None: ...
    def time_window(self, payload: Dict[str, Any]) -> Tuple[float, float]: ...
    def check_required(self, payload: Dict[str, Any]) -> None: ...
    def check_iss(self, payload: Dict[str, Any]) -> None: ...
    def check_aud(self, payload: Dict[str, Any]) -> None: ...
