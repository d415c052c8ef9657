"""Render the IR: a table of outputs (template, path, context), rendered through Jinja, Python formatted by ruff.

Every file a run writes is one row of ``outputs``: its template, its path (from the ``Layout``) and what the
template reads. Headers, import lines and the package's ``__init__`` tables are computed here and in
``exports``; the templates only loop over them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2

from getiaction.codegen.changelog import snapshot
from getiaction.codegen.exports import package_init
from getiaction.codegen.exprs import ImportRef
from getiaction.codegen.format import RenderError, format_python
from getiaction.codegen.ir import GeneratedFile, GenerationSpec, PolicySpec
from getiaction.codegen.layout import GENERATED_MARKER, RUNTIME, Layout

# Every wrapper module needs its base class, whatever the policy's parameters are.
_BASE_CLASS = ImportRef(f"{RUNTIME}._base", "LeRobotPolicyModule")
# On imports from packages without py.typed: mypy --strict passes without an override, and with one (which
# reads the package's types) the comment is no error either.
_UNTYPED_IMPORT = "  # type: ignore[import-untyped, unused-ignore]"


@dataclass(frozen=True)
class Output:
    """One file of a run: the template that writes it, its path, and what the template reads."""

    template: str
    path: str
    policy: PolicySpec | None = None  # the policy a per-policy file is about (its header names it)
    context: Mapping[str, object] = field(default_factory=dict)


def outputs(spec: GenerationSpec, layout: Layout) -> list[Output]:
    """The table of every templated file a run writes."""
    table: list[Output] = []
    for policy in spec.policies:
        table += [
            Output(
                "policy_module.py.jinja",
                layout.module_path(policy),
                policy,
                {"imports": imports(policy, spec)},
            ),
            Output("policy_config.yaml.jinja", layout.config_path(policy), policy),
            Output("policy_reference.md.jinja", layout.reference_path(policy), policy),
        ]
    overrides = ", ".join(f'"{name}.*"' for name in sorted(spec.untyped_packages))
    table += [
        Output("package_init.py.jinja", layout.init_path, context={"init": package_init(spec, layout)}),
        Output("deviations.txt.jinja", layout.deviations_file),
        Output("reference_index.md.jinja", layout.reference_index, context={"overrides": overrides}),
    ]
    return table


def render_all(spec: GenerationSpec, layout: Layout) -> list[GeneratedFile]:
    """Every generated file, formatted, sorted by path."""
    environment = _environment()
    rendered = [
        GeneratedFile(
            output.path,
            environment.get_template(output.template).render(
                spec=spec,
                layout=layout,
                policy=output.policy,
                header=header(output.path, spec, layout, output.policy),
                **output.context,
            ),
        )
        for output in outputs(spec, layout)
    ]
    python = [file for file in rendered if file.path.endswith(".py")]
    text = [file for file in rendered if not file.path.endswith(".py")]
    text.append(GeneratedFile(layout.snapshot_file, snapshot_json(spec, layout)))
    return sorted(format_python(python) + text, key=lambda file: file.path)


def snapshot_json(spec: GenerationSpec, layout: Layout) -> str:
    """The API snapshot: per policy, its config class, extra and fields (type, default, doc digest)."""
    return json.dumps(snapshot(spec, marker=header_text(spec, layout)), indent=2) + "\n"


def header_text(spec: GenerationSpec, layout: Layout, policy: PolicySpec | None = None) -> str:
    """What every generated file says first: generated from which releases (and class), how to change it."""
    sources = [f"lerobot=={spec.lerobot_version}"]
    if policy is None:
        sources += [plugin.requirement for plugin in spec.plugins]
    else:
        sources += [policy.plugin.requirement] if policy.plugin else []
        sources.append(f"{policy.config.module}.{policy.config.name}")
    return f"{GENERATED_MARKER} from {', '.join(sources)}. DO NOT EDIT: {layout.edit_hint}."


def header(path: str, spec: GenerationSpec, layout: Layout, policy: PolicySpec | None = None) -> str:
    """The header as ``#`` comment lines (Python, YAML, text) or one HTML comment (Markdown)."""
    first, second = header_text(spec, layout, policy).split(" DO NOT EDIT: ")
    if path.endswith(".md"):
        return f"<!-- {first}\n     DO NOT EDIT: {second} -->"
    return f"# {first}\n# DO NOT EDIT: {second}"


def imports(policy: PolicySpec, spec: GenerationSpec) -> list[str]:
    """The module's import lines, one per module; names that would clash are an error."""
    refs = policy.imports() | {_BASE_CLASS}
    names: dict[str, ImportRef] = {}
    for ref in sorted(refs):
        clash = names.get(ref.name)
        if clash is not None or ref.name in {policy.class_name, "self"}:
            raise RenderError(
                f"policy {policy.policy_type!r}: imported name {ref.name!r} is ambiguous "
                f"({ref.module} vs {clash.module if clash else 'the wrapper class'})"
            )
        names[ref.name] = ref
    by_module: dict[str, list[str]] = {}
    for ref in sorted(refs):
        by_module.setdefault(ref.module, []).append(ref.name)
    return [
        f"from {module} import {', '.join(imported)}"
        + (_UNTYPED_IMPORT if module.split(".")[0] in spec.untyped_packages else "")
        for module, imported in by_module.items()
    ]


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("getiaction.codegen", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # the output is Python and YAML, not HTML
    )
    environment.filters["capitalize_first"] = lambda text: text[:1].upper() + text[1:]
    return environment
