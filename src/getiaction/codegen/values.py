"""The value table: upstream default values -> ``ValueExpr`` with exact source.

A default that no rule here can write exactly is a generator error naming the field, never an
approximation: a wrong default in a typed signature would silently change training.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import math
import pathlib

from getiaction.codegen.exprs import CallValue, DictValue, ImportRef, LiteralValue, SequenceValue, ValueExpr


class UnrenderableValue(Exception):
    """Raised for a value no rule of the value table can write as source."""


_PATH = ImportRef("pathlib", "Path")


def value_expr(value: object) -> ValueExpr:
    """Exact source for ``value``; raises ``UnrenderableValue`` otherwise."""
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, enum.Enum)):
        return LiteralValue(repr(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, enum.Enum):
        ref = _class_ref(type(value))
        return LiteralValue(f"{ref.name}.{value.name}", requires=ref)
    if isinstance(value, list):
        return SequenceValue("list", tuple(value_expr(item) for item in value))
    if isinstance(value, tuple) and type(value) is tuple:
        return SequenceValue("tuple", tuple(value_expr(item) for item in value))
    if isinstance(value, set):
        # Sets have no stable iteration order; sort by source text so output is deterministic.
        items = sorted((value_expr(item) for item in value), key=lambda item: item.source)
        return SequenceValue("set", tuple(items))
    if isinstance(value, dict) and type(value) is dict:
        return DictValue(tuple((value_expr(key), value_expr(item)) for key, item in value.items()))
    if type(value) in (pathlib.PosixPath, pathlib.WindowsPath, pathlib.Path):
        return CallValue(_PATH, args=(LiteralValue(repr(str(value))),))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _dataclass_instance(value)
    raise UnrenderableValue(f"no rule writes a {type(value).__qualname__} value as source: {value!r}")


def _float(value: float) -> ValueExpr:
    if math.isfinite(value):
        return LiteralValue(repr(value))
    if math.isnan(value):
        return LiteralValue('float("nan")')
    return LiteralValue('float("inf")' if value > 0 else 'float("-inf")')


def _dataclass_instance(value: object) -> ValueExpr:
    cls = type(value)
    ref = _class_ref(cls)
    init_fields = [f for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
    try:
        baseline: object | None = cls()
    except Exception:  # a dataclass without defaults for every field: write every field
        baseline = None
    kwargs = tuple(
        (f.name, value_expr(getattr(value, f.name)))
        for f in init_fields
        if baseline is None or getattr(value, f.name) != getattr(baseline, f.name)
    )
    return CallValue(ref, kwargs=kwargs)


def importable_ref(cls: type) -> ImportRef | None:
    """``ImportRef`` for a class reachable as ``module.name``, or None (nested, local, shadowed)."""
    name = cls.__qualname__
    if "." in name or "<" in name:
        return None
    try:
        module = importlib.import_module(cls.__module__)
    except ImportError:
        return None
    return ImportRef(cls.__module__, name) if getattr(module, name, None) is cls else None


def _class_ref(cls: type) -> ImportRef:
    ref = importable_ref(cls)
    if ref is None:
        raise UnrenderableValue(f"{cls.__module__}.{cls.__qualname__} cannot be imported by name")
    return ref
