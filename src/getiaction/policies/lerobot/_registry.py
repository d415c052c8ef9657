"""Which wrapper class holds each LeRobot policy type: generated packages register here, the runtime looks up.

Every generated package (getiaction's own ``getiaction.policies.lerobot``, and a user's package written
by ``getiaction generate`` for their policy plugins) calls ``register_wrappers`` from its ``__init__``
with its tables: policy type -> class name, the extra each needs, the LeRobot release and plugin
distributions it mirrors. The hand-written runtime reads those tables here, so no arrow runs from the
runtime up into generated code. Importing this module imports nothing heavy.

A package that has not been imported yet is found through the ``getiaction.wrappers`` entry point group
(``[project.entry-points."getiaction.wrappers"] mypkg = "mypkg.policies"``), which ``getiaction
generate`` asks its users to declare.
"""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from getiaction.errors import ConfigError

ENTRY_POINT_GROUP = "getiaction.wrappers"


@dataclass(frozen=True)
class WrapperPackage:
    """One generated package's tables."""

    name: str  # "getiaction.policies.lerobot"
    lerobot_version: str  # the LeRobot release its wrappers mirror
    classes: Mapping[str, str]  # policy type -> class name
    extras: Mapping[str, str] = field(default_factory=dict)  # policy type -> pip extra
    # policy type -> (distribution, version) of the plugin that registers it; built-in types are absent
    plugins: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    distribution: str = "getiaction"  # what `pip install` names for this package's extras

    def install_hint(self, policy_type: str) -> str:
        """The command that installs what ``policy_type``'s wrapper needs."""
        plugin = self.plugins.get(policy_type)
        if plugin is not None:
            return f"pip install '{plugin[0]}=={plugin[1]}'"
        extra = self.extras.get(policy_type)
        target = f"{self.distribution}[{extra}]" if extra else self.distribution
        return f"pip install '{target}' (it pins lerobot=={self.lerobot_version})"


@dataclass(frozen=True)
class WrapperEntry:
    """Where the wrapper of one policy type lives."""

    policy_type: str
    package: WrapperPackage

    @property
    def class_name(self) -> str:
        return self.package.classes[self.policy_type]

    @property
    def class_path(self) -> str:
        """The importable path LightningCLI and checkpoints name the class by (``package.Class``)."""
        return f"{self.package.name}.{self.class_name}"

    def load(self) -> Any:
        """The wrapper class itself (imports its module through the package's lazy exports)."""
        return getattr(importlib.import_module(self.package.name), self.class_name)


_PACKAGES: dict[str, WrapperPackage] = {}
_BY_TYPE: dict[str, WrapperEntry] = {}
_ENTRY_POINTS_LOADED = False


def register_wrappers(
    package: str,
    *,
    lerobot_version: str,
    classes: Mapping[str, str],
    extras: Mapping[str, str] | None = None,
    plugins: Mapping[str, tuple[str, str]] | None = None,
    distribution: str = "getiaction",
) -> None:
    """Record a generated package's wrapper classes (called by the package's own ``__init__``)."""
    record = WrapperPackage(
        package, lerobot_version, dict(classes), dict(extras or {}), dict(plugins or {}), distribution
    )
    for policy_type in classes:
        existing = _BY_TYPE.get(policy_type)
        if existing is not None and existing.package.name != package:
            raise ConfigError(
                f"policy type {policy_type!r} has wrappers in two packages, {existing.package.name} and "
                f"{package}: generate it into one of them only"
            )
    _PACKAGES[package] = record
    for policy_type in classes:
        _BY_TYPE[policy_type] = WrapperEntry(policy_type, record)


def package(name: str) -> WrapperPackage | None:
    """A registered package's tables, by the package's module name."""
    return _PACKAGES.get(name)


def entry(policy_type: str) -> WrapperEntry | None:
    """The registered wrapper of ``policy_type``; packages declared as entry points are imported first."""
    if policy_type not in _BY_TYPE:
        _load_entry_points()
    return _BY_TYPE.get(policy_type)


def entry_for_class(cls: type) -> WrapperEntry | None:
    """The registration of a generated wrapper class, found by the package that exports it."""
    for record in _PACKAGES.values():
        for policy_type, class_name in record.classes.items():
            if class_name == cls.__name__ and cls.__module__.startswith(record.name + "."):
                return _BY_TYPE[policy_type]
    return None


def registered_types() -> list[str]:
    """Every policy type some registered package has a wrapper for, sorted."""
    _load_entry_points()
    return sorted(_BY_TYPE)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        importlib.import_module(point.value)  # its __init__ registers it
