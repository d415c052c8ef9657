"""Which install extra each policy needs, read from LeRobot's own source and checked against its metadata.

LeRobot guards each policy's optional dependencies with ``require_package("transformers", extra="smolvla")``.
The extra a policy's package names there (shared extras aside) is the one its users install; getiaction
mirrors LeRobot's extras under the same names, pinned to the same release, except those the base install
already includes (``lerobot[dataset,diffusion]``).
"""

from __future__ import annotations

import ast
import functools
import inspect
from pathlib import Path

from packaging.utils import canonicalize_name

from getiaction._lerobot.extras import getiaction_requirements, lerobot_extras

# Extras LeRobot names from code paths every policy shares (PEFT fine-tuning, the common VLA helpers):
# they do not say which policy needs what.
SHARED_EXTRAS = frozenset({"peft", "transformers-dep"})


def policy_extra(config_class: type) -> str | None:
    """The extra the policy of ``config_class`` needs beyond getiaction's base install, or None."""
    package = Path(inspect.getfile(config_class)).parent
    named = {
        canonicalize_name(extra)
        for path in sorted(package.rglob("*.py"))
        for extra in required_extras(path.read_text(encoding="utf-8"))
    }
    named -= SHARED_EXTRAS
    if len(named) > 1:
        raise ValueError(f"its package {package} asks for several extras {sorted(named)}")
    if not named:
        return None
    (extra,) = named
    if extra not in lerobot_extras():
        raise ValueError(f"its package asks for extra {extra!r}, which lerobot does not provide")
    return None if extra in base_extras() else extra


def required_extras(source: str) -> set[str]:
    """Every ``extra="..."`` literal of a ``require_package(...)`` call in ``source``."""
    extras: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name != "require_package":
            continue
        for keyword in node.keywords:
            if keyword.arg == "extra" and isinstance(keyword.value, ast.Constant):
                extras.add(str(keyword.value.value))
    return extras


@functools.cache
def base_extras() -> frozenset[str]:
    """The lerobot extras getiaction's own dependencies include (``lerobot[dataset,diffusion]``)."""
    for requirement in getiaction_requirements():
        if requirement.name == "lerobot" and requirement.marker is None:
            return frozenset(canonicalize_name(extra) for extra in requirement.extras)
    return frozenset()
