"""Whether LeRobot can be used, checked without importing any of its policies."""

from __future__ import annotations

import functools
import importlib


@functools.cache
def is_available() -> bool:
    """True when ``lerobot`` imports. Cheap: the top-level package imports no policy code."""
    try:
        importlib.import_module("lerobot")
    except ImportError:
        return False
    return True
