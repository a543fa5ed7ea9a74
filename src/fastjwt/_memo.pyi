from typing import Any

def lookup(owner: Any, key: Any, algorithms: Any, options: Any, audience: Any, issuer: Any, subject: Any,
           leeway: Any) -> Any: ...
