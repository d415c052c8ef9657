"""Whether LeRobot, the right release of it, and a policy's optional dependencies can be used.

Checked without importing any LeRobot policy code. The release the wrappers were generated from and the
extra each policy needs are generated data, registered by each generated package (``_registry``), so the
hints here never go stale.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from getiaction._lerobot.version import installed_lerobot_version
from getiaction.errors import GetiActionError, LeRobotVersionError, MissingExtraError
from getiaction.policies.lerobot import _registry

# Dependencies of getiaction itself: missing, they mean a broken install, not a missing extra.
_CORE = frozenset({"lerobot", "lightning", "torch", "jsonargparse"})


@functools.cache
def is_available() -> bool:
    """True when ``lerobot`` imports. Cheap: the top-level package imports no policy code."""
    try:
        importlib.import_module("lerobot")
    except ImportError:
        return False
    return True


def require_lerobot(generated_for: str, record: _registry.WrapperPackage | None = None) -> None:
    """Refuse to go on without LeRobot, or with a release other than the wrappers were generated from.

    An error, not a warning: another release's configs differ in fields and defaults (Diffusion's
    ``horizon`` went 16 -> 64), so the typed signatures would silently configure something else.
    ``record``: the generated package asking, whose own regenerate command the message names.
    """
    installed = installed_lerobot_version()
    if installed is None or not is_available():
        raise ImportError(
            f"getiaction's LeRobot wrappers need lerobot=={generated_for}, which is not installed: "
            f"pip install getiaction (it pins lerobot=={generated_for}), or `uv sync` in a checkout"
        )
    if installed != generated_for:
        if record is not None and record.plugins:
            plugins = " ".join(f"--plugin {name}" for name in sorted({p[0] for p in record.plugins.values()}))
            regenerate = (
                f"regenerate them for lerobot {installed} with a getiaction release for it: "
                f"getiaction generate {plugins} --package {record.name} ..."
            )
            whose = f"{record.name}'s wrappers were"
        else:
            regenerate = (
                f"regenerate them for lerobot {installed} in a getiaction checkout: python -m codegen "
                "(README: 'Regenerating on a LeRobot upgrade')"
            )
            whose = "getiaction's wrappers were"
        raise LeRobotVersionError(
            f"{whose} generated from lerobot=={generated_for}, but lerobot {installed} is installed, whose "
            f"policy configs differ. Either install the release they were generated from: pip install "
            f"'lerobot=={generated_for}'; or {regenerate}."
        )


def import_guard(package: str) -> Callable[[str], AbstractContextManager[None]]:
    """The lazy export guard of a generated package: the right LeRobot (and plugin releases) first,
    then a missing extra named."""

    @contextmanager
    def guard(name: str) -> Iterator[None]:
        record = _registry.package(package)
        if record is None:  # the package registers itself before its first lazy export
            raise RuntimeError(f"{package} did not register its wrappers")
        require_lerobot(record.lerobot_version, record)
        policy_type = {class_name: key for key, class_name in record.classes.items()}.get(name)
        if policy_type is not None:
            require_plugin(record, policy_type)
        with missing_extra_hint(policy_type, name):
            yield

    return guard


def require_plugin(record: _registry.WrapperPackage, policy_type: str) -> None:
    """Refuse a plugin policy's wrapper when the plugin is missing or another release than it mirrors."""
    plugin = record.plugins.get(policy_type)
    if plugin is None:
        return
    distribution, generated_for = plugin
    try:
        installed = importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise ImportError(
            f"{record.name}'s {record.classes[policy_type]} wraps the {policy_type!r} policy of the plugin "
            f"{distribution}, which is not installed: pip install '{distribution}=={generated_for}'"
        ) from None
    if installed != generated_for:
        raise LeRobotVersionError(
            f"{record.name}'s {record.classes[policy_type]} was generated from {distribution}=={generated_for}, "
            f"but {distribution} {installed} is installed, whose config may differ. Either install "
            f"pip install '{distribution}=={generated_for}', or regenerate: getiaction generate --plugin "
            f"{distribution} --package {record.name} ..."
        )


@contextmanager
def missing_extra_hint(policy_type: str | None, subject: str) -> Iterator[None]:
    """Turn a missing optional dependency into an error naming the getiaction extra that installs it.

    LeRobot's own message names ``lerobot[<extra>]`` unpinned, and a bare ``ModuleNotFoundError`` names
    nothing to install.
    """
    try:
        yield
    except ImportError as error:
        if isinstance(error, GetiActionError):
            raise
        missing = (error.name or "").split(".")[0] if isinstance(error, ModuleNotFoundError) else None
        if missing in _CORE:
            raise
        install = _install_hint(policy_type)
        # LeRobot's require_package says "'transformers' is required but not installed. Install it with:
        # pip install 'lerobot[...]'" (unpinned): keep the package's name, give our command.
        named = re.match(r"'([^']+)' is required but not installed", str(error))
        what = missing or (named.group(1) if named else None)
        detail = f"{what!r} is not installed" if what else str(error)
        raise MissingExtraError(
            f"{subject} needs optional dependencies: {detail}. Install them with: {install}"
        ) from error


def _install_hint(policy_type: str | None) -> str:
    """What installs a policy's dependencies: its generated package's extra or plugin, else the plugin that
    registers it, else every extra of getiaction."""
    registered = _registry.entry(policy_type) if policy_type else None
    if registered is not None and policy_type is not None:
        return registered.package.install_hint(policy_type)
    plugin = _registry.plugin_of(policy_type) if policy_type else None
    if plugin is not None:
        return f"pip install '{plugin[0]}=={plugin[1]}' (the plugin that registers {policy_type!r})"
    return "pip install 'getiaction[all]'"
