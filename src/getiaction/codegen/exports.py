"""What a generated package's ``__init__`` declares, as data: its imports, tables, lazy exports, ``__all__``.

getiaction's own package also exports the runtime's ``LeRobotPolicy``, ``LeRobotPolicyModule`` and
``is_available`` and the extra each policy needs; a user's package exports its wrapper classes and the
plugin release each mirrors. The template writes these lists as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from getiaction.codegen.ir import GenerationSpec
from getiaction.codegen.layout import RUNTIME, Layout


@dataclass(frozen=True)
class Table:
    """A module-level dict literal with the comment above it; keys and values as source text."""

    name: str
    annotation: str
    comment: tuple[str, ...]
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class PackageInit:
    imports: tuple[str, ...]
    tables: tuple[Table, ...]
    register_arguments: tuple[str, ...]
    exports: tuple[tuple[str, str], ...]  # name -> the module it is imported from on first use
    all_names: tuple[str, ...]


def package_init(spec: GenerationSpec, layout: Layout) -> PackageInit:
    availability = "import_guard, is_available" if layout.builtin else "import_guard"
    imports = (
        "from getiaction._lazy import lazy_exports",
        f"from {RUNTIME}._availability import {availability}",
        f"from {RUNTIME}._registry import register_wrappers",
    )
    classes = Table(
        "POLICY_CLASSES",
        "dict[str, str]",
        ("Registry key -> wrapper class name, for runtime selection by name.",),
        tuple((_string(p.policy_type), _string(p.class_name)) for p in spec.policies),
    )
    arguments = ["lerobot_version=LEROBOT_VERSION", "classes=POLICY_CLASSES"]
    exports = [(policy.class_name, f"{layout.package}.{policy.module_name}") for policy in spec.policies]
    names = ["LEROBOT_VERSION", "POLICY_CLASSES"]
    if layout.builtin:
        extras = Table(
            "POLICY_EXTRAS",
            "dict[str, str]",
            (
                "Registry key -> the getiaction extra its optional dependencies install with (same name as "
                "LeRobot's),",
                "for the policies that need one.",
            ),
            tuple((_string(p.policy_type), _string(p.extra)) for p in spec.policies if p.extra),
        )
        tables: tuple[Table, ...] = (classes, extras)
        arguments.append("extras=POLICY_EXTRAS")
        runtime = [("LeRobotPolicyModule", f"{RUNTIME}._base"), ("LeRobotPolicy", f"{RUNTIME}._universal")]
        exports = runtime + exports
        names += ["POLICY_EXTRAS", "is_available"]
    else:
        plugins = Table(
            "POLICY_PLUGINS",
            "dict[str, tuple[str, str]]",
            (
                "Registry key -> the plugin distribution that registers it, and the release these wrappers mirror.",
            ),
            tuple(
                (_string(p.policy_type), f"({_string(p.plugin.distribution)}, {_string(p.plugin.version)})")
                for p in spec.policies
                if p.plugin is not None
            ),
        )
        tables = (classes, plugins)
        arguments.append("plugins=POLICY_PLUGINS")
        names.append("POLICY_PLUGINS")
    names += [name for name, _ in exports]
    return PackageInit(imports, tables, tuple(arguments), tuple(exports), tuple(sorted(names, key=isort_key)))


def isort_key(name: str) -> tuple[int, list[int | str]]:
    """``__all__`` order as ruff's RUF022 writes it: constants, then classes, then the rest, each in natural
    order (digits compared as numbers)."""
    group = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return group, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name) if part]


def _string(text: str | None) -> str:
    return json.dumps(text)
