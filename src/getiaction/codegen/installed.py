"""What the environment holds: LeRobot's built-in policies, named plugin distributions, which packages ship types.

LeRobot's registry fills through import side effects: ``lerobot.policies.factory`` imports every built-in
config, and a plugin registers its configs when its distribution's module is imported (LeRobot imports
every installed ``lerobot_policy_*`` distribution that way, ``register_third_party_plugins``). A run reads
exactly what it renders: getiaction's own, the built-in policies, whatever else is installed or imported;
a user's, the policies of the distributions they name, each config told apart by the package it lives in.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path

from packaging.utils import canonicalize_name

from getiaction.codegen.ir import Plugin

_PLUGIN_PREFIX = "lerobot-policy-"  # canonical form of LeRobot's ``lerobot_policy_`` prefix
_HOMEPAGE_LABELS = ("homepage", "home", "repository", "source", "documentation")


class PluginError(Exception):
    """A named plugin distribution cannot be rendered: not installed, not importable, registers nothing."""


def builtin_policies() -> dict[str, type]:
    """LeRobot's own policy types with their config classes, sorted; plugins' are left out."""
    return {key: cls for key, cls in _registry().items() if _top_level(cls) == "lerobot"}


def plugin_policies(distribution: str) -> tuple[Plugin, dict[str, type]]:
    """The plugin ``distribution`` and the policy types (with config classes) it registers, sorted.

    Raises ``PluginError`` with a one-line reason naming the distribution.
    """
    if not canonicalize_name(distribution).startswith(_PLUGIN_PREFIX):
        raise PluginError(
            f"{distribution} is not a LeRobot policy plugin: LeRobot imports distributions named "
            "lerobot_policy_<name>"
        )
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise PluginError(f"plugin {distribution} is not installed") from None
    name = dist.metadata["Name"] or distribution
    module = name.replace("-", "_").replace(".", "_")  # the module LeRobot imports for it
    importlib.import_module("lerobot.policies.factory")
    try:
        importlib.import_module(module)
    except Exception as error:
        raise PluginError(f"plugin {name} does not import: {first_line(error)}") from error
    policies = {key: cls for key, cls in _registry().items() if _top_level(cls) == module}
    if not policies:
        raise PluginError(
            f"plugin {name} registers no policy: importing {module} registers no "
            "@PreTrainedConfig.register_subclass config of its own"
        )
    return Plugin(name, dist.version, homepage(dist.metadata)), policies


def first_line(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0]}" if message else type(error).__name__


def homepage(metadata: importlib.metadata.PackageMetadata) -> str | None:
    """The project's homepage as its metadata names it (``Home-page``, or a ``Project-URL``), or None."""
    urls: dict[str, str] = {}
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls.setdefault(label.strip().lower().replace("-", "").replace(" ", ""), url.strip())
    for label in _HOMEPAGE_LABELS:
        if urls.get(label):
            return urls[label]
    legacy = metadata.get("Home-page")
    return legacy.strip() if legacy and legacy.strip() and legacy.strip() != "UNKNOWN" else None


def untyped_packages(modules: Iterable[str]) -> frozenset[str]:
    """The third-party top-level packages of ``modules`` that ship no ``py.typed`` marker (PEP 561)."""
    untyped = set()
    for top in {module.split(".")[0] for module in modules} - set(sys.stdlib_module_names):
        spec = importlib.util.find_spec(top)
        locations = [] if spec is None else list(spec.submodule_search_locations or [])
        if not any((Path(location) / "py.typed").is_file() for location in locations):
            untyped.add(top)
    return frozenset(untyped)


def _registry() -> dict[str, type]:
    importlib.import_module("lerobot.policies.factory")
    from lerobot.configs.policies import PreTrainedConfig

    choices: dict[str, type] = PreTrainedConfig.get_known_choices()
    return dict(sorted(choices.items()))


def _top_level(cls: type) -> str:
    return cls.__module__.split(".")[0]
