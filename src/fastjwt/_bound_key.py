"""BoundKey: what the native core accepts as "a key that names its own algorithm".

:class:`fastjwt.Key` and :class:`fastjwt.Validator` take such a key (today
PyJWT's :class:`fastjwt.PyJWK`) and use its id and algorithm. The PyJWT layer
registers its class here, so the core never imports the PyJWT layer.
"""

from __future__ import annotations

import abc
from typing import Any, Optional

__all__ = ["BoundKey"]


class BoundKey(abc.ABC):
    """A key bound to one algorithm, carrying its own id.

    Not subclassed: a class registers itself (``BoundKey.register(cls)``),
    so the registered class keeps a plain metaclass and fast ``isinstance``.
    """

    key: Any
    key_id: Optional[str]
    algorithm_name: str
