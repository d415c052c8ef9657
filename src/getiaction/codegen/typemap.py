"""The type mapping table: resolved upstream annotations -> ``TypeExpr``.

Every kind of annotation the generator renders is listed here. Anything else becomes a
``UnmappedType`` (rendered ``Any``, with a comment naming the upstream type) and is recorded in
the committed fallback list, so a LeRobot release that brings a new kind of type shows up in
review instead of being rendered approximately.
"""

from __future__ import annotations

import dataclasses
import enum
import pathlib
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final

from getiaction.codegen.exprs import (
    GenericType,
    ImportRef,
    LiteralType,
    NamedType,
    TypeExpr,
    UnionType,
    UnmappedType,
)
from getiaction.codegen.values import UnrenderableValue, importable_ref, value_expr

# Types written as a plain builtin name.
SCALARS: Final[Mapping[object, str]] = {
    int: "int",
    float: "float",
    str: "str",
    bool: "bool",
    bytes: "bytes",
    types.NoneType: "None",
    None: "None",
    Any: "Any",
    object: "object",
}

# Builtin containers that take parameters. A bare container means "any parameters", which is what
# ``BARE_CONTAINERS`` spells out, so ``mypy --strict`` accepts it and the meaning is unchanged.
CONTAINERS: Final[Mapping[object, str]] = {
    list: "list",
    dict: "dict",
    tuple: "tuple",
    set: "set",
    frozenset: "frozenset",
}
_ANY = NamedType("Any", ImportRef("typing", "Any"))
BARE_CONTAINERS: Final[Mapping[object, TypeExpr]] = {
    list: GenericType("list", (_ANY,)),
    dict: GenericType("dict", (_ANY, _ANY)),
    tuple: GenericType("tuple", (_ANY,), variadic=True),
    set: GenericType("set", (_ANY,)),
    frozenset: GenericType("frozenset", (_ANY,)),
}

# Classes named by import. Order matters: the first predicate that matches wins.
CLASS_RULES: Final[tuple[tuple[str, Callable[[type], bool]], ...]] = (
    ("pathlib.Path", lambda cls: cls is pathlib.Path),
    ("enum", lambda cls: issubclass(cls, enum.Enum)),
    ("dataclass", dataclasses.is_dataclass),
)


def type_expr(annotation: object) -> TypeExpr:
    """Map one resolved annotation (from ``typing.get_type_hints``) to a ``TypeExpr``."""
    if _hashable(annotation) and annotation in SCALARS:
        name = SCALARS[annotation]
        return _ANY if name == "Any" else NamedType(name)
    if _hashable(annotation) and annotation in BARE_CONTAINERS:
        return BARE_CONTAINERS[annotation]

    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return UnionType(tuple(type_expr(arg) for arg in args))
    if origin is typing.Literal:
        return _literal(annotation, args)
    if origin in CONTAINERS and args:
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return GenericType("tuple", (type_expr(args[0]),), variadic=True)
        if origin is tuple and args == ((),):  # tuple[()]
            return UnmappedType(_upstream_name(annotation))
        return GenericType(CONTAINERS[origin], tuple(type_expr(arg) for arg in args))
    if isinstance(annotation, type) and origin is None:
        for _rule, matches in CLASS_RULES:
            if matches(annotation):
                ref = importable_ref(annotation)
                if ref is not None:
                    return NamedType(ref.name, ref)
                break
    return UnmappedType(_upstream_name(annotation))


def _literal(annotation: object, args: tuple[object, ...]) -> TypeExpr:
    try:
        values = tuple(value_expr(arg) for arg in args)
    except UnrenderableValue:
        return UnmappedType(_upstream_name(annotation))
    return LiteralType(values)


def _hashable(obj: object) -> bool:
    try:
        hash(obj)
    except TypeError:
        return False
    return True


def _upstream_name(annotation: object) -> str:
    """The upstream type as a reader would write it, on one line."""
    if isinstance(annotation, type) and not typing.get_args(annotation):
        text = f"{annotation.__module__}.{annotation.__qualname__}"
    else:
        text = repr(annotation).replace("typing.", "")
    return " ".join(text.split())
