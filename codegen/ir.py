"""Intermediate representation between reading LeRobot and rendering wrappers.

Everything here is a frozen dataclass. Reading (``introspect``) builds these objects; rendering
(``render`` and the Jinja templates) only reads them. Each type or value expression knows its own
source text and the imports that source needs, so templates never assemble code from strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias


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


# --- Policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterSpec:
    """One keyword-only parameter of a wrapper: an upstream config field, or a wrapper-only parameter."""

    name: str
    annotation: TypeExpr
    default: ValueExpr | None  # None: the parameter has no default and is required
    doc: str  # one paragraph; empty when upstream documents nothing
    declared_in: str  # the upstream class whose source holds the field's declaration, or "wrapper"
    # The default as plain JSON (enums by value, tuples as lists): what YAML and snapshots write.
    default_json: str | None = None
    # Set when the upstream default had to be respelled to satisfy its own annotation (RespelledDefault).
    respelled_from: str | None = None
    origin: Literal["config", "wrapper"] = "config"

    def imports(self) -> frozenset[ImportRef]:
        own = self.annotation.imports()
        return own if self.default is None else own | self.default.imports()


@dataclass(frozen=True)
class TypeFallback:
    """A recorded use of ``Any`` for an upstream type the table cannot render."""

    policy_type: str
    field: str
    upstream: str


@dataclass(frozen=True)
class RespelledDefault:
    """A recorded default respelled to match its annotation, e.g. ``False`` -> ``0`` for an ``int``.

    Python's typing accepts a bool where an int is declared, but strict parsers (jsonargparse, so the
    CLI and YAML) refuse it; the respelled value is equal to the upstream one (``False == 0``).
    """

    policy_type: str
    field: str
    upstream: str
    rendered: str


@dataclass(frozen=True)
class PolicySpec:
    """Everything one generated wrapper module, its YAML config and its reference page need."""

    policy_type: str  # registry key, e.g. "act"
    class_name: str  # wrapper class, e.g. "ACT"
    module_name: str  # generated module, e.g. "act"
    config: ImportRef  # upstream config class
    description: tuple[str, ...]  # upstream class docstring without its Args section, line by line
    parameters: tuple[ParameterSpec, ...]  # config fields in upstream order, then wrapper-only ones
    extra: str | None = None  # the getiaction extra whose dependencies the policy needs; None: none

    @property
    def fields(self) -> tuple[ParameterSpec, ...]:
        """The upstream config fields alone."""
        return tuple(parameter for parameter in self.parameters if parameter.origin == "config")

    @property
    def fallbacks(self) -> tuple[TypeFallback, ...]:
        return tuple(
            TypeFallback(self.policy_type, field.name, fallback.upstream)
            for field in self.fields
            for fallback in field.annotation.fallbacks()
        )

    @property
    def respelled_defaults(self) -> tuple[RespelledDefault, ...]:
        return tuple(
            RespelledDefault(self.policy_type, field.name, field.respelled_from, field.default.source)
            for field in self.fields
            if field.respelled_from is not None and field.default is not None
        )


@dataclass(frozen=True)
class GenerationSpec:
    """The whole suite: every policy of the installed LeRobot, sorted by registry key."""

    lerobot_version: str
    policies: tuple[PolicySpec, ...]

    @property
    def fallbacks(self) -> tuple[TypeFallback, ...]:
        return tuple(fallback for policy in self.policies for fallback in policy.fallbacks)

    @property
    def respelled_defaults(self) -> tuple[RespelledDefault, ...]:
        return tuple(respelled for policy in self.policies for respelled in policy.respelled_defaults)


@dataclass(frozen=True)
class GeneratedFile:
    """A rendered output: a path relative to the repository root and its exact content."""

    path: str
    content: str
