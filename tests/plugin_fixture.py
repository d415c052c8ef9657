"""Tiny LeRobot policy plugins the tests write themselves, found as installed distributions.

Each is a package with LeRobot's conventions (``configuration_<type>`` registering a config with
``@PreTrainedConfig.register_subclass``, ``modeling_<type>.<Name>Policy``, ``processor_<type>`` with
``make_<type>_pre_post_processors``) beside a ``.dist-info`` folder, so ``importlib.metadata`` (and so
LeRobot's ``register_third_party_plugins``) finds it on ``sys.path``. ``lerobot_policy_toy`` is ACT with
a gain on its actions, at tiny size; ``lerobot_policy_broken`` fails to import, as one built for another
LeRobot would.
"""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

from tiny import TINY_CONFIGS

TOY = "lerobot_policy_toy"
TOY_TYPE = "toy"
TOY_VERSION = "0.1.0"
TOY_HOMEPAGE = "https://example.org/lerobot-policy-toy"
BROKEN = "lerobot_policy_broken"

# The toy at ACT's tiny sizes (a training step well under a second on CPU), with a gain of 2.
TOY_CONFIG = {**TINY_CONFIGS["act"], "action_gain": 2.0}

_CONFIGURATION = '''
"""The toy's config: ACT's fields, then its own."""

from dataclasses import dataclass

from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.act.configuration_act import ACTConfig


@PreTrainedConfig.register_subclass("{policy_type}")
@dataclass
class {name}Config(ACTConfig):
    """ACT whose actions are scaled by a gain: about the smallest policy a plugin can register.

    Args:
        action_gain: Factor on every action the policy predicts.
    """

    action_gain: float = 1.0
{extra_fields}
'''

_MODELING = '''
"""The toy's policy: ACT's, its action chunks scaled by the config's gain."""
{modeling_imports}
from lerobot.policies.act.modeling_act import ACTPolicy

from {package}.configuration_{policy_type} import {name}Config


class {name}Policy(ACTPolicy):
    config_class = {name}Config
    name = "{policy_type}"

    def predict_action_chunk(self, batch):
        return super().predict_action_chunk(batch) * self.config.action_gain
'''

_PROCESSOR = '''
"""The toy's processors: ACT's."""

from lerobot.policies.act.processor_act import make_act_pre_post_processors


def make_{policy_type}_pre_post_processors(config, dataset_stats=None):
    return make_act_pre_post_processors(config, dataset_stats=dataset_stats)
'''


def write_dist_info(site: Path, distribution: str, version: str, *, homepage: str | None = None) -> None:
    """What an installer leaves for ``importlib.metadata``: METADATA, top_level.txt and RECORD."""
    info = site / f"{distribution}-{version}.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    lines = ["Metadata-Version: 2.1", f"Name: {distribution}", f"Version: {version}"]
    lines += [f"Summary: {distribution}, written by getiaction's tests"]
    lines += [f"Project-URL: Homepage, {homepage}"] if homepage else []
    (info / "METADATA").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (info / "top_level.txt").write_text(distribution.replace("-", "_") + "\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")


def write_plugin(
    site: Path,
    distribution: str = TOY,
    *,
    policy_type: str = TOY_TYPE,
    version: str = TOY_VERSION,
    extra_fields: str = "",
    homepage: str | None = TOY_HOMEPAGE,
    modeling_imports: str = "",
) -> Path:
    """A policy plugin in ``site`` (a folder to put on ``sys.path``); returns ``site``. ``modeling_imports``:
    source its modeling module runs first (a dependency that is not installed, say)."""
    package = site / distribution
    package.mkdir(parents=True, exist_ok=True)
    name = "".join(part.capitalize() for part in policy_type.split("_"))
    values = {"package": distribution, "policy_type": policy_type, "name": name}
    fields = textwrap.indent(textwrap.dedent(extra_fields).strip(), "    ") if extra_fields else ""
    sources = {
        "__init__.py": f'"""{distribution}: a tiny LeRobot policy plugin."""\n\n'
        f"from {distribution}.configuration_{policy_type} import {name}Config\n\n"
        f'__all__ = ["{name}Config"]\n',
        f"configuration_{policy_type}.py": _CONFIGURATION.format(**values, extra_fields=fields),
        f"modeling_{policy_type}.py": _MODELING.format(**values, modeling_imports=modeling_imports),
        f"processor_{policy_type}.py": _PROCESSOR.format(**values),
    }
    for file_name, source in sources.items():
        (package / file_name).write_text(source.lstrip(), encoding="utf-8")
    write_dist_info(site, distribution, version, homepage=homepage)
    return site


def write_broken_plugin(site: Path, distribution: str = BROKEN) -> Path:
    """A plugin whose import fails as one built for another LeRobot release does."""
    package = site / distribution
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        "from lerobot.policies.act.configuration_act import ACTConfigOfAnotherRelease\n", encoding="utf-8"
    )
    write_dist_info(site, distribution, "0.0.1")
    return site


# The user's package the tests generate for the toy, in a project folder of its own.
PACKAGE = "toyproj.policies"
OUTPUT = "src/toyproj/policies"


def generate(project: Path, *arguments: str, package: str = PACKAGE, output: str = OUTPUT) -> int:
    """``getiaction generate`` run in ``project`` (in this process), for the toy unless told otherwise."""
    from getiaction.codegen.cli import main

    plugins = [] if "--plugin" in arguments else ["--plugin", TOY]
    previous = Path.cwd()
    project.mkdir(parents=True, exist_ok=True)
    os.chdir(project)
    try:
        return main([*plugins, "--package", package, "--output", output, *arguments])
    finally:
        os.chdir(previous)


@contextlib.contextmanager
def importable(*paths: Path) -> Iterator[None]:
    """``paths`` on ``sys.path`` (plugins found as installed, generated packages importable); afterwards the
    generated package is forgotten again, by Python and by getiaction's registry."""
    from getiaction.policies.lerobot import _registry

    for path in paths:
        path.mkdir(parents=True, exist_ok=True)  # a folder missing when first searched stays unsearched
    sys.path[:0] = [str(path) for path in paths]
    try:
        yield
    finally:
        for path in paths:
            sys.path.remove(str(path))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE.split(".")[0]]:
            del sys.modules[name]
        record = _registry._PACKAGES.pop(PACKAGE, None)
        for policy_type in record.classes if record else ():
            _registry._BY_TYPE.pop(policy_type, None)
