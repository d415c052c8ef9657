"""The IR's expressions: the type of a parameter and the value of its default, as source text.

Frozen dataclasses, built by reading (``typemap``, ``values``) and read by the parameters of ``ir``.
Each expression knows its own source text and the imports that source needs, so nothing assembles code
from strings elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias


@dataclass(frozen=True, order=True)
class ImportRef:
    """A name importable as ``from module import name``."""

    module: str
    name: str


# --- Type expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedType:
    """A type written as a bare name: a builtin (``int``), ``None``, or an imported class."""

    name: str
    requires: ImportRef | None = None

    @property
    def source(self) -> str:
        return self.name

    def imports(self) -> frozenset[ImportRef]:
        return frozenset() if self.requires is None else frozenset({self.requires})

    def fallbacks(self) -> tuple[UnmappedType, ...]:
        return ()


@dataclass(frozen=True)
class GenericType:
    """A parameterised builtin container: ``list[int]``, ``dict[str, X]``, ``tuple[int, ...]``."""

    origin: str
    args: tuple[TypeExpr, ...]
    variadic: bool = False  # tuple[X, ...]

    @property
    def source(self) -> str:
        parts = [arg.source for arg in self.args]
        if self.variadic:
            parts.append("...")
        return f"{self.origin}[{', '.join(parts)}]"

    def imports(self) -> frozenset[ImportRef]:
        return frozenset().union(*(arg.imports() for arg in self.args))

    def fallbacks(self) -> tuple[UnmappedType, ...]:
        return tuple(fb for arg in self.args for fb in arg.fallbacks())


@dataclass(frozen=True)
class LiteralType:
    """``Literal[...]`` over values that have an exact source form."""

    values: tuple[ValueExpr, ...]

    @property
    def source(self) -> str:
        return f"Literal[{', '.join(value.source for value in self.values)}]"

    def imports(self) -> frozenset[ImportRef]:
        own = frozenset({ImportRef("typing", "Literal")})
        return own.union(*(value.imports() for value in self.values))

    def fallbacks(self) -> tuple[UnmappedType, ...]:
        return ()


@dataclass(frozen=True)
class UnionType:
    """``A | B | None``, members in upstream order."""

    members: tuple[TypeExpr, ...]

    @property
    def source(self) -> str:
        return " | ".join(member.source for member in self.members)

    def imports(self) -> frozenset[ImportRef]:
        return frozenset().union(*(member.imports() for member in self.members))

    def fallbacks(self) -> tuple[UnmappedType, ...]:
        return tuple(fb for member in self.members for fb in member.fallbacks())


@dataclass(frozen=True)
class UnmappedType:
    """An upstream type the mapping table cannot render exactly. It renders as ``Any``."""

    upstream: str

    @property
    def source(self) -> str:
        return "Any"

    def imports(self) -> frozenset[ImportRef]:
        return frozenset({ImportRef("typing", "Any")})

    def fallbacks(self) -> tuple[UnmappedType, ...]:
        return (self,)


TypeExpr: TypeAlias = NamedType | GenericType | LiteralType | UnionType | UnmappedType


# --- Value expressions (parameter defaults) ---------------------------------------------------


@dataclass(frozen=True)
class LiteralValue:
    """A value whose ``repr`` is valid source: ``None``, bools, ints, strings, finite floats."""

    source: str
    requires: ImportRef | None = None

    def imports(self) -> frozenset[ImportRef]:
        return frozenset() if self.requires is None else frozenset({self.requires})


@dataclass(frozen=True)
class SequenceValue:
    """A list, tuple or set display."""

    kind: str  # "list" | "tuple" | "set"
    items: tuple[ValueExpr, ...]

    @property
    def source(self) -> str:
        inner = ", ".join(item.source for item in self.items)
        if self.kind == "list":
            return f"[{inner}]"
        if self.kind == "set":
            return f"{{{inner}}}" if self.items else "set()"
        return f"({inner},)" if len(self.items) == 1 else f"({inner})"

    def imports(self) -> frozenset[ImportRef]:
        return frozenset().union(*(item.imports() for item in self.items))


@dataclass(frozen=True)
class DictValue:
    """A dict display; keys and values in upstream insertion order."""

    items: tuple[tuple[ValueExpr, ValueExpr], ...]

    @property
    def source(self) -> str:
        return "{" + ", ".join(f"{key.source}: {value.source}" for key, value in self.items) + "}"

    def imports(self) -> frozenset[ImportRef]:
        return frozenset().union(*(key.imports() | value.imports() for key, value in self.items))


@dataclass(frozen=True)
class CallValue:
    """A constructor call: ``Path("x")``, ``SomeDataclass(a=1)``."""

    callee: ImportRef
    args: tuple[ValueExpr, ...] = ()
    kwargs: tuple[tuple[str, ValueExpr], ...] = ()

    @property
    def source(self) -> str:
        parts = [arg.source for arg in self.args] + [f"{key}={value.source}" for key, value in self.kwargs]
        return f"{self.callee.name}({', '.join(parts)})"

    def imports(self) -> frozenset[ImportRef]:
        nested = (arg.imports() for arg in self.args)
        keyed = (value.imports() for _, value in self.kwargs)
        return frozenset({self.callee}).union(*nested, *keyed)


ValueExpr: TypeAlias = LiteralValue | SequenceValue | DictValue | CallValue
