"""Which wrapper class holds each LeRobot policy type: generated packages register here, the runtime looks up.

Every generated package (getiaction's own ``getiaction.policies.lerobot``, and a user's package written
by ``getiaction generate`` for their policy plugins) calls ``register_wrappers`` from its ``__init__``
with its tables: policy type -> class name, the extra each needs, the LeRobot release and plugin
distributions it mirrors. The hand-written runtime reads those tables here, so no arrow runs from the
runtime up into generated code. Importing this module imports nothing heavy.

A package that has not been imported yet is found through the ``getiaction.wrappers`` entry point group
(``[project.entry-points."getiaction.wrappers"] mypkg = "mypkg.policies"``), which ``getiaction
generate`` asks its users to declare. A policy type neither a package nor LeRobot's registry knows makes
the runtime import the installed LeRobot plugins first, as LeRobot's own scripts do at start
(``register_third_party_plugins``, once per process).
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
_PLUGINS_SEEN: set[str] = set()  # the LeRobot plugin distributions import_plugins has imported (or tried)


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


def lerobot_config_class(policy_type: str) -> Any:
    """The config class LeRobot's registry holds for ``policy_type`` (a built-in policy's, or an installed
    plugin's), or None. Installed plugins are imported on the first type the registry does not know."""
    PreTrainedConfig = _lerobot_registry()
    if policy_type not in PreTrainedConfig.get_known_choices():
        import_plugins()
    if policy_type not in PreTrainedConfig.get_known_choices():
        return None
    return PreTrainedConfig.get_choice_class(policy_type)


def lerobot_policy_types() -> list[str]:
    """Every policy type LeRobot's registry knows, installed plugins' included, sorted."""
    PreTrainedConfig = _lerobot_registry()
    import_plugins()
    return sorted(PreTrainedConfig.get_known_choices())


def import_plugins() -> None:
    """Import every installed LeRobot plugin (``lerobot_policy_*`` and the rest), as LeRobot's scripts do.

    LeRobot logs a plugin that fails to import and goes on; so does this. Nothing is imported again until
    a plugin distribution appears that was not installed before.
    """
    installed = {dist.metadata.get("Name") or "" for dist in importlib.metadata.distributions()}
    plugins = {name for name in installed if name.startswith("lerobot_")}
    if plugins <= _PLUGINS_SEEN:
        return
    _PLUGINS_SEEN.update(plugins)
    _lerobot_registry()  # the built-in configs register first
    from lerobot.utils.import_utils import register_third_party_plugins

    register_third_party_plugins()


def plugin_of(policy_type: str) -> tuple[str, str] | None:
    """The plugin distribution that registers ``policy_type`` and its release, or None for LeRobot's own.

    A generated package's record names the release its wrapper mirrors (so this works with the plugin
    uninstalled); otherwise the installed distribution holding the registered config class is asked.
    """
    for record in _PACKAGES.values():
        if policy_type in record.plugins:
            return record.plugins[policy_type]
    config_class = lerobot_config_class(policy_type)
    top = None if config_class is None else config_class.__module__.split(".")[0]
    if top is None or top == "lerobot":
        return None
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        return distribution, importlib.metadata.version(distribution)
    return None


def unknown_type_hint(policy_type: str) -> str:
    """What to install for a policy type nothing installed registers (one sentence, leading space)."""
    _load_entry_points()
    for record in _PACKAGES.values():
        if policy_type in record.plugins:
            distribution, version = record.plugins[policy_type]
            return (
                f" It is the policy of the plugin {distribution}, which {record.name} wraps: "
                f"pip install '{distribution}=={version}'."
            )
    return (
        " If it comes from a LeRobot policy plugin, install that plugin (LeRobot imports the installed "
        "distributions named lerobot_policy_<name>)."
    )


def _lerobot_registry() -> Any:
    """LeRobot's config registry, ``PreTrainedConfig``, with every built-in policy's config registered."""
    import lerobot.policies  # noqa: F401  # imports every built-in config
    from lerobot.configs.policies import PreTrainedConfig

    return PreTrainedConfig


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    for point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        importlib.import_module(point.value)  # its __init__ registers it


def class_hparams(cls: type, policy_type: str) -> dict[str, str]:
    """The hyperparameters that name the class a module of ``cls`` holding ``policy_type`` rebuilds as:
    the explicit wrapper's path (also for the universal wrapper standing in for it); a class of the user's
    own, its own path; the universal wrapper holding a plugin's policy no package wraps, with its name."""
    registered = entry(policy_type)
    universal = getattr(cls, "config_class", None) is None
    if registered is not None and (universal or entry_for_class(cls) == registered):
        return {"_class_path": registered.class_path}
    own = {"_class_path": f"{cls.__module__}.{cls.__qualname__}"}
    return {**own, "policy_name": policy_type} if universal else own
