"""Lazy attribute exports for packages whose members import heavy dependencies."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    *,
    guard: Callable[[str], AbstractContextManager[object]] = lambda name: contextlib.nullcontext(),
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports[name]`` on first access.

    ``guard(name)`` wraps each import: it may refuse it, or turn a low-level import failure into an
    error that says what to install.
    """

    def __getattr__(name: str) -> object:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        with guard(name):
            module = importlib.import_module(module_name)
        return getattr(module, name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
