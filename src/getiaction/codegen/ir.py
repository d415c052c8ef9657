"""The intermediate representation between reading LeRobot and rendering wrappers, which renders itself.

Everything here is a frozen dataclass. Reading (``introspect``, ``discover``) builds these objects from the
installed LeRobot and plugins; rendering (``render`` and its templates) only loops over them. A parameter
writes its own signature line, docstring entry, YAML lines and reference row, and a policy its own
descriptions, so the templates hold no logic and every form of one parameter is spelled in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from getiaction.codegen.exprs import ImportRef, TypeExpr, ValueExpr
from getiaction.codegen.text import LINE_LENGTH, PlainValue, cell, escape_docstring_line, wrap, yaml_flow

_DOC_WIDTH = LINE_LENGTH - 12  # docstring text sits 8 columns in, entries continue 4 deeper
_SUMMARY_WIDTH = LINE_LENGTH - 7  # the summary follows the opening quotes, 4 columns in
_YAML_WIDTH = LINE_LENGTH - 6  # YAML comments sit under `init_args:`, 4 columns in, after "# "


@dataclass(frozen=True)
class ParameterSpec:
    """One keyword-only parameter of a wrapper: an upstream config field, or a wrapper-only parameter."""

    name: str
    annotation: TypeExpr
    default: ValueExpr | None  # None: the parameter has no default and is required
    doc: str  # one paragraph; empty when upstream documents nothing
    declared_in: str  # the upstream class whose source holds the field's declaration, or "wrapper"
    # The default as plain data (enums by value, tuples as lists, as JSON writes it): what YAML writes.
    plain_default: PlainValue = field(default=None, hash=False)
    # Set when the upstream default had to be respelled to satisfy its own annotation (RespelledDefault).
    respelled_from: str | None = None
    origin: Literal["config", "wrapper"] = "config"

    def imports(self) -> frozenset[ImportRef]:
        own = self.annotation.imports()
        return own if self.default is None else own | self.default.imports()

    @property
    def departure(self) -> str | None:
        """Where this parameter's text departs from upstream's: a type fallback or a respelled default."""
        fallbacks = self.annotation.fallbacks()
        if fallbacks:
            return "upstream type: " + "; ".join(fallback.upstream for fallback in fallbacks)
        if self.respelled_from is not None:
            return f"upstream default: {self.respelled_from}"
        return None

    def undocumented(self, quote: str) -> str:
        """What stands for a field's documentation where upstream has none, naming where it is declared."""
        return f"Not documented upstream ({quote}{self.declared_in}.{self.name}{quote})."

    def signature_line(self) -> str:
        """``name: T = default,`` with a trailing comment where the line departs from upstream."""
        default = "" if self.default is None else f" = {self.default.source}"
        comment = f"  # {self.departure}" if self.departure else ""
        return f"{self.name}: {self.annotation.source}{default},{comment}"

    def doc_entry(self) -> list[str]:
        """The docstring's ``Args:`` entry, unescaped: the first line, then continuations four deeper."""
        text = self.doc or self.undocumented("``")
        first, *rest = wrap(f"{self.name}: {text}", _DOC_WIDTH)
        return [first, *(f"    {line}" for line in rest)]

    def yaml_lines(self) -> list[str]:
        """The documentation as comments, then ``name: default`` (commented out when required)."""
        comments = [f"# {line}" for line in wrap(self.doc, _YAML_WIDTH)]
        if self.default is None:
            return [*comments, f"# {self.name}: required (no upstream default)"]
        return [*comments, f"{self.name}: {yaml_flow(self.plain_default)}"]

    def reference_row(self) -> str:
        """The parameter's row of its policy's reference table: name, type, default, documentation."""
        default = "required" if self.default is None else f"`{self.default.source}`"
        doc = self.doc or self.undocumented("`")
        if self.departure:
            doc += f" {self.departure}"
        cells = (f"`{self.annotation.source}`", default, doc)
        return f"| `{self.name}` | " + " | ".join(cell(text) for text in cells) + " |"


@dataclass(frozen=True)
class TypeFallback:
    """A recorded use of ``Any`` for an upstream type the table cannot render."""

    policy_type: str
    field: str
    upstream: str

    @property
    def line(self) -> str:
        return f"{self.policy_type}.{self.field}: {self.upstream}"


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

    @property
    def line(self) -> str:
        return f"{self.policy_type}.{self.field}: {self.upstream} -> {self.rendered}"


@dataclass(frozen=True)
class Plugin:
    """The LeRobot policy plugin distribution that registers a policy (``lerobot_policy_<name>``)."""

    distribution: str
    version: str
    homepage: str | None = None  # from the distribution's metadata, if it names one

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


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
    plugin: Plugin | None = None  # the plugin that registers the policy; None: one of LeRobot's own

    def imports(self) -> frozenset[ImportRef]:
        """What the module's signature needs imported: the config class and every parameter's names."""
        return frozenset({self.config}).union(*(parameter.imports() for parameter in self.parameters))

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

    def described(self, quote: str = "`") -> str:
        """What the policy is, mid-sentence: "LeRobot's `act` policy", or which plugin's."""
        if self.plugin is None:
            return f"LeRobot's {quote}{self.policy_type}{quote} policy"
        return (
            f"the {quote}{self.policy_type}{quote} policy of the "
            f"{quote}{self.plugin.distribution}{quote} plugin"
        )

    def source_url(self, lerobot_version: str) -> str:
        """Where the config class's source lives at the release (for LeRobot's own policies)."""
        path = self.config.module.replace(".", "/")
        return f"https://github.com/huggingface/lerobot/blob/v{lerobot_version}/src/{path}.py"

    @property
    def requirement(self) -> str | None:
        """What to install beside getiaction's base install (the plugin, or getiaction's extra), or None."""
        if self.plugin is not None:
            return self.plugin.requirement
        return f"getiaction[{self.extra}]" if self.extra else None

    @property
    def install(self) -> str:
        """The command that installs what the policy needs beside getiaction's base install."""
        return f"pip install '{self.requirement}'" if self.requirement else "pip install getiaction"

    def docstring(self) -> str:
        """The class docstring's text, escaped and indented: summary, upstream description, then Args."""
        summary = f"Lightning wrapper for {self.described('``')}, configured like ``{self.config.name}``."
        lines = [*wrap(summary, _SUMMARY_WIDTH), ""]
        if self.description:
            lines += [*self.description, ""]
        lines.append("Args:")
        lines += [f"    {line}" for parameter in self.parameters for line in parameter.doc_entry()]
        return "\n".join(
            f"    {line}" if line and index else line
            for index, line in enumerate(map(escape_docstring_line, lines))
        )

    def index_row(self) -> str:
        """The policy's row of the reference index: class, type, what to install, parameter count, summary."""
        install = f"`{self.requirement}`" if self.requirement else "none"
        link = f"[`{self.class_name}`]({self.policy_type}.md)"
        return f"| {link} | `{self.policy_type}` | {install} | {len(self.parameters)} | {self.summary} |"

    @property
    def summary(self) -> str:
        """The first sentence of the upstream description, as a Markdown cell, or an empty string."""
        text = " ".join(line.strip() for line in self.description if line.strip())
        return cell(text.split(". ")[0].rstrip(".") + "." if text else "")


@dataclass(frozen=True)
class GenerationSpec:
    """What one generator run renders: policies sorted by registry key, and the releases they mirror."""

    lerobot_version: str
    policies: tuple[PolicySpec, ...]
    # Top-level packages the wrappers import that ship no ``py.typed``; their imports are rendered so
    # that ``mypy --strict`` accepts them in a project without an override. Empty for getiaction's own.
    untyped_packages: frozenset[str] = frozenset()

    @property
    def plugins(self) -> tuple[Plugin, ...]:
        """The plugins the policies come from, each once, sorted by distribution."""
        found = {policy.plugin.distribution: policy.plugin for policy in self.policies if policy.plugin}
        return tuple(found[name] for name in sorted(found))

    @property
    def plugin_requirements(self) -> str:
        """The plugins as pinned requirements, for prose: ``lerobot_policy_a==1.0, lerobot_policy_b==0.2``."""
        return ", ".join(plugin.requirement for plugin in self.plugins)

    @property
    def fallbacks(self) -> tuple[TypeFallback, ...]:
        return tuple(fallback for policy in self.policies for fallback in policy.fallbacks)

    @property
    def respelled_defaults(self) -> tuple[RespelledDefault, ...]:
        return tuple(respelled for policy in self.policies for respelled in policy.respelled_defaults)


@dataclass(frozen=True)
class GeneratedFile:
    """A rendered output: a path relative to the output root and its exact content."""

    path: str
    content: str
