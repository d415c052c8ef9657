"""Lazy attribute exports for packages whose members import heavy dependencies."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

INSTALL_HINT = "pip install 'getiaction' (it depends on lerobot==0.6.1), or `uv sync` in a checkout"


def lazy_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Module ``__getattr__`` and ``__dir__`` that import ``exports[name]`` on first access.

    A missing LeRobot becomes an ``ImportError`` that says how to install it, instead of a
    ``ModuleNotFoundError`` from deep inside an upstream import.
    """

    def __getattr__(name: str) -> object:
        module_name = exports.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            missing = (error.name or "").split(".")[0]
            if missing in {"lerobot", "lightning", "torch"}:
                raise ImportError(
                    f"{package}.{name} needs {missing!r}, which is not installed: {INSTALL_HINT}"
                ) from error
            raise
        return getattr(module, name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
