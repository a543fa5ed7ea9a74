"""Loads tests/grpc/_support.py as ``grpc_support`` (tests/_support.py owns the name ``_support``)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if "grpc_support" not in sys.modules:
    _spec = importlib.util.spec_from_file_location("grpc_support", Path(__file__).with_name("_support.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules["grpc_support"] = _module
    _spec.loader.exec_module(_module)
