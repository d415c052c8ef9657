"""The API snapshot of a LeRobot release and the semantic changelog between two snapshots.

The snapshot is the generator's intermediate representation reduced to what users program against:
per policy its config class, the extra it needs, and each field's rendered type, default and a digest
of its documentation. It is committed (``codegen/api_snapshot.json``) and guarded by ``--check`` like
every generated file, so comparing it with the installed LeRobot says in words what an upgrade changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from getiaction.codegen.ir import GenerationSpec

Snapshot = dict[str, Any]


def snapshot(spec: GenerationSpec, *, marker: str) -> Snapshot:
    """The API snapshot of ``spec``; deterministic (policies sorted, fields in upstream order). A plugin
    run also records each plugin's release and which plugin each policy comes from."""
    plugins = {"plugins": {plugin.distribution: plugin.version for plugin in spec.plugins}}
    return {
        "_generated": marker,
        "lerobot_version": spec.lerobot_version,
        **(plugins if spec.plugins else {}),
        "policies": {
            policy.policy_type: {
                "class_name": policy.class_name,
                "config": f"{policy.config.module}.{policy.config.name}",
                "extra": policy.extra,
                **({"plugin": policy.plugin.distribution} if policy.plugin else {}),
                "fields": {
                    parameter.name: {
                        "type": parameter.annotation.source,
                        "default": None if parameter.default is None else parameter.default.source,
                        "doc": hashlib.sha256(parameter.doc.encode("utf-8")).hexdigest()[:12],
                    }
                    for parameter in policy.fields
                },
            }
            for policy in sorted(spec.policies, key=lambda policy: policy.policy_type)
        },
    }


def load_snapshot(path: Path) -> Snapshot:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable API snapshot ({error})") from error
    if not isinstance(data, dict) or not isinstance(data.get("policies"), dict):
        raise ValueError(f"{path}: not an API snapshot (no 'policies' mapping)")
    return data


@dataclass(frozen=True)
class PolicyChanges:
    """How one policy present in both snapshots changed."""

    policy_type: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    retyped: tuple[tuple[str, str, str], ...] = ()  # field, old type, new type
    defaults: tuple[tuple[str, str | None, str | None], ...] = ()  # field, old default, new default
    documented: tuple[str, ...] = ()  # fields whose documentation changed
    other: tuple[str, ...] = ()  # config class moved, extra changed

    @property
    def empty(self) -> bool:
        return not (
            self.added or self.removed or self.retyped or self.defaults or self.documented or self.other
        )


@dataclass(frozen=True)
class Changelog:
    old_version: str  # "0.5.1", or with plugins: "lerobot 0.6.1, lerobot_policy_foo 0.1.0"
    new_version: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[PolicyChanges, ...] = field(default_factory=tuple)
    with_plugins: bool = False  # either snapshot records plugins (a user's package, not getiaction's own)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "policies_added": len(self.added),
            "policies_removed": len(self.removed),
            "fields_added": sum(len(c.added) for c in self.changed),
            "fields_removed": sum(len(c.removed) for c in self.changed),
            "fields_retyped": sum(len(c.retyped) for c in self.changed),
            "defaults_changed": sum(len(c.defaults) for c in self.changed),
            "docs_changed": sum(len(c.documented) for c in self.changed),
        }

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def compare(old: Snapshot, new: Snapshot) -> Changelog:
    old_policies, new_policies = old["policies"], new["policies"]
    changed = []
    for policy_type in sorted(set(old_policies) & set(new_policies)):
        before, after = old_policies[policy_type], new_policies[policy_type]
        old_fields, new_fields = before["fields"], after["fields"]
        both = [name for name in new_fields if name in old_fields]
        other = tuple(
            f"{key}: {before.get(key)!r} -> {after.get(key)!r}"
            for key in ("config", "extra", "plugin")
            if before.get(key) != after.get(key)
        )
        changes = PolicyChanges(
            policy_type,
            added=tuple(name for name in new_fields if name not in old_fields),
            removed=tuple(name for name in old_fields if name not in new_fields),
            retyped=tuple(
                (name, old_fields[name]["type"], new_fields[name]["type"])
                for name in both
                if old_fields[name]["type"] != new_fields[name]["type"]
            ),
            defaults=tuple(
                (name, old_fields[name]["default"], new_fields[name]["default"])
                for name in both
                if old_fields[name]["default"] != new_fields[name]["default"]
            ),
            documented=tuple(name for name in both if old_fields[name]["doc"] != new_fields[name]["doc"]),
            other=other,
        )
        if not changes.empty:
            changed.append(changes)
    return Changelog(
        old_version=_releases(old),
        new_version=_releases(new),
        added=tuple(sorted(set(new_policies) - set(old_policies))),
        removed=tuple(sorted(set(old_policies) - set(new_policies))),
        changed=tuple(changed),
        with_plugins=bool(_plugins(old) or _plugins(new)),
    )


def _plugins(snapshot: Snapshot) -> dict[str, Any]:
    """The plugin releases a snapshot records (none in getiaction's own)."""
    plugins = snapshot.get("plugins")
    return plugins if isinstance(plugins, dict) else {}


def _releases(snapshot: Snapshot) -> str:
    plugins = _plugins(snapshot)
    if not plugins:
        return str(snapshot.get("lerobot_version"))
    named = [
        f"lerobot {snapshot.get('lerobot_version')}",
        *(f"{name} {plugins[name]}" for name in sorted(plugins)),
    ]
    return ", ".join(named)


def markdown(changelog: Changelog) -> str:
    """The changelog as Markdown: a summary line, then policies added/removed, then per-policy changes."""
    counts = changelog.counts
    title = "API changes" if changelog.with_plugins else "LeRobot API changes"
    lines = [f"## {title}: {changelog.old_version} -> {changelog.new_version}", ""]
    if changelog.empty:
        return "\n".join([*lines, "No API changes.", ""])
    lines += [
        f"{counts['policies_added']} policies added, {counts['policies_removed']} removed; in the policies "
        f"of both: {counts['fields_added']} fields added, {counts['fields_removed']} removed, "
        f"{counts['fields_retyped']} retyped, {counts['defaults_changed']} defaults changed, "
        f"{counts['docs_changed']} docs changed.",
        "",
    ]
    if changelog.added:
        lines.append("**Policies added:** " + ", ".join(f"`{name}`" for name in changelog.added))
    if changelog.removed:
        lines.append("**Policies removed:** " + ", ".join(f"`{name}`" for name in changelog.removed))
    if changelog.added or changelog.removed:
        lines.append("")
    for change in changelog.changed:
        lines.append(f"### `{change.policy_type}`")
        lines += [f"- {text}" for text in change.other]
        lines += [f"- added `{name}`" for name in change.added]
        lines += [f"- removed `{name}`" for name in change.removed]
        lines += [f"- retyped `{name}`: `{old}` -> `{new}`" for name, old, new in change.retyped]
        lines += [f"- default of `{name}`: `{old}` -> `{new}`" for name, old, new in change.defaults]
        if change.documented:
            lines.append("- documentation changed: " + ", ".join(f"`{name}`" for name in change.documented))
        lines.append("")
    return "\n".join(lines)
