"""Whether LeRobot, the right release of it, and a policy's optional dependencies can be used.

Checked without importing any LeRobot policy code. The release the wrappers were generated from and the
extra each policy needs are generated data (``LEROBOT_VERSION``, ``POLICY_EXTRAS`` in this package's
``__init__``), so the hints here never go stale.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import re
from collections.abc import Iterator
from contextlib import contextmanager

from getiaction.errors import GetiActionError, LeRobotVersionError, MissingExtraError

_PACKAGE = "getiaction.policies.lerobot"
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


def installed_lerobot_version() -> str | None:
    try:
        return importlib.metadata.version("lerobot")
    except importlib.metadata.PackageNotFoundError:
        return None


def require_lerobot(generated_for: str) -> None:
    """Refuse to go on without LeRobot, or with a release other than the wrappers were generated from.

    An error, not a warning: another release's configs differ in fields and defaults (Diffusion's
    ``horizon`` went 16 -> 64), so the typed signatures would silently configure something else.
    """
    installed = installed_lerobot_version()
    if installed is None or not is_available():
        raise ImportError(
            f"getiaction's LeRobot wrappers need lerobot=={generated_for}, which is not installed: "
            f"pip install getiaction (it pins lerobot=={generated_for}), or `uv sync` in a checkout"
        )
    if installed != generated_for:
        raise LeRobotVersionError(
            f"getiaction's wrappers were generated from lerobot=={generated_for}, but lerobot {installed} is "
            f"installed, whose policy configs differ. Either install the release they were generated from: "
            f"pip install 'lerobot=={generated_for}'; or regenerate them for lerobot {installed} in a "
            "getiaction checkout: python -m codegen (README: 'Regenerating on a LeRobot upgrade')."
        )


@contextmanager
def wrapper_import_guard(name: str) -> Iterator[None]:
    """The lazy export guard of this package: the right LeRobot first, then a missing extra named."""
    package = importlib.import_module(_PACKAGE)
    require_lerobot(package.LEROBOT_VERSION)
    policy_type = {class_name: key for key, class_name in package.POLICY_CLASSES.items()}.get(name)
    with missing_extra_hint(policy_type, name):
        yield


@contextmanager
def missing_extra_hint(policy_type: str | None, owner: str) -> Iterator[None]:
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
        package = importlib.import_module(_PACKAGE)
        extra = package.POLICY_EXTRAS.get(policy_type or "")
        install = (
            f"pip install 'getiaction[{extra}]' (it pins lerobot=={package.LEROBOT_VERSION})"
            if extra
            else "pip install 'getiaction[all]'"
        )
        # LeRobot's require_package says "'transformers' is required but not installed. Install it with:
        # pip install 'lerobot[...]'" (unpinned): keep the package's name, give our command.
        named = re.match(r"'([^']+)' is required but not installed", str(error))
        what = missing or (named.group(1) if named else None)
        detail = f"{what!r} is not installed" if what else str(error)
        raise MissingExtraError(
            f"{owner} needs optional dependencies: {detail}. Install them with: {install}"
        ) from error
