"""Install extras, read one way from the installed metadata: LeRobot's, and getiaction's own requirements.

The generator reads them to name each policy's extra and the ruff it formats with; ``getiaction eval``
to name the extra that installs a missing simulator.
"""

from __future__ import annotations

import functools
import importlib.metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name


@functools.cache
def lerobot_extras() -> frozenset[str]:
    """The extras the installed lerobot distribution declares, normalised."""
    provided = importlib.metadata.metadata("lerobot").get_all("Provides-Extra") or []
    return frozenset(canonicalize_name(extra) for extra in provided)


@functools.cache
def getiaction_requirements() -> tuple[Requirement, ...]:
    """getiaction's own requirements, as its installed metadata (built from pyproject.toml) lists them."""
    try:
        lines = importlib.metadata.requires("getiaction") or []
    except importlib.metadata.PackageNotFoundError:
        return ()
    requirements = []
    for line in lines:
        try:
            requirements.append(Requirement(line))
        except InvalidRequirement:
            continue
    return tuple(requirements)
