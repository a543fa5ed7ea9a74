from typing import Any, Dict, Optional

class Plan:
    rule: Any
    public: bool
    check: bool
    binding: bool
    plain: bool
    hits: Any
    handler: Any
    on_loop: bool
    admitted: Dict[int, Dict[str, Any]]
    def __init__(self, rule: Any, counters: Any, admitted: Optional[Dict[int, Dict[str, Any]]] = None) -> None: ...

class Hot:
    def __init__(self, plans: Dict[str, Plan], key: str, cached: Any, claims: Any, served_here: bool) -> None: ...

def intercept_service(self: Any, continuation: Any, handler_call_details: Any) -> Any: ...
async def aio_intercept_service(self: Any, continuation: Any, handler_call_details: Any) -> Any: ...
