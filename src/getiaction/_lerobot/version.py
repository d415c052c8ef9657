"""The installed LeRobot's version, read one way for the whole package (and the generator)."""

from __future__ import annotations

import importlib.metadata


def installed_lerobot_version() -> str | None:
    """The installed ``lerobot`` distribution's version, or None when it is not installed."""
    try:
        return importlib.metadata.version("lerobot")
    except importlib.metadata.PackageNotFoundError:
        return None


def lerobot_version() -> str:
    """The installed ``lerobot``'s version; LeRobot must be installed (it is, wherever this is called)."""
    version = installed_lerobot_version()
    if version is None:
        raise ImportError("lerobot is not installed: pip install getiaction (it pins the release it mirrors)")
    return version
