"""Names the original getiaction design (or an older LeRobot) spells otherwise: what each is called now.

A parameter or policy type that does not exist is refused with the name it has here, not only with
``difflib``'s guess: ``learning_rate`` is ``optimizer_lr``, ``dataset_stats`` is ``stats``, LeRobot 0.6
renamed ``sac`` to ``gaussian_actor``. Importing this module imports nothing heavy.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Collection, Mapping
from typing import Any

from getiaction.errors import ConfigTypeError, did_you_mean

# Parameter name (the design document's, or LeRobot 0.3.x's) -> LeRobot 0.6.1's name, suggested where a
# class has the new name and not the old one (GaussianActor's config does have a `dataset_stats` field).
RENAMED_PARAMETERS: Mapping[str, str] = {
    "learning_rate": "optimizer_lr",  # the design's ACT table
    "lr": "optimizer_lr",
    "weight_decay": "optimizer_weight_decay",
    "betas": "optimizer_betas",
    "grad_clip_norm": "optimizer_grad_clip_norm",
    "dataset_stats": "stats",  # the design passed them as LeRobot's `Policy(config, dataset_stats=...)`
    "resize_imgs_with_padding": "image_resolution",  # pi0's (LeRobot 0.3.x), now image_resolution
}

# Parameters that do not exist on an explicit class, with what to write instead ({cls}: the class).
NOT_PARAMETERS: Mapping[str, str] = {
    "config": (
        "{cls} takes its LeRobot config's fields as keyword arguments, not a config object: write "
        "{cls}(dim_model=..., ...) with the fields you change, or {cls}.from_pretrained(directory) for a "
        "saved policy"
    ),
    "policy_config": "{cls} takes its parameters as keywords: {cls}(**policy_config)",
    "policy_name": (
        "{cls} is one policy already: drop policy_name, or choose the policy by name with "
        "LeRobotPolicy(policy_name=...)"
    ),
}

# Policy types LeRobot 0.6.1 does not register (a plugin may still register them: looked up only after
# the registry) -> what to write instead.
RENAMED_POLICY_TYPES: Mapping[str, str] = {
    "sac": (
        "LeRobot 0.6 calls SAC's actor 'gaussian_actor' (the SAC algorithm itself is "
        "lerobot.rl.algorithms.sac, not a policy)"
    ),
    "pi0fast": "LeRobot 0.6 calls it 'pi0_fast'",
    "reward_classifier": (
        "in LeRobot 0.6 it is a reward model (lerobot.rewards.classifier), not a policy: reward models have "
        "no wrapper"
    ),
    "sarm": (
        "in LeRobot 0.6 it is a reward model (lerobot.rewards.sarm), not a policy: reward models have no "
        "wrapper"
    ),
    **{
        name: "LeRobot 0.6 has no such policy (the original design's list named it)"
        for name in ("ppo", "ddpg", "dqn", "ibc")
    },
}


def parameter_hint(name: str, known: Collection[str], *, cls: str) -> str:
    """What to write instead of the unknown parameter ``name``, as a sentence (empty: no idea)."""
    renamed = RENAMED_PARAMETERS.get(name)
    if renamed is not None and renamed in known:
        return f" It is called {renamed!r} here."
    if name in NOT_PARAMETERS:
        return f" {NOT_PARAMETERS[name].format(cls=cls)}."
    return did_you_mean(name, known)


def policy_type_hint(name: str) -> str | None:
    """Why ``name`` is no LeRobot 0.6.1 policy type and what to write instead, or None."""
    return RENAMED_POLICY_TYPES.get(name.lower())


def check_keywords(cls: type, keywords: Collection[str]) -> None:
    """Refuse keywords ``cls.__init__`` does not take, as Python would, but naming what they are called now.

    Classes whose ``__init__`` takes ``**kwargs`` (``LeRobotPolicy``) check their own keywords.
    """
    accepted = _keyword_parameters(cls)
    if accepted is None:
        return
    for name in keywords:
        if name not in accepted:
            raise ConfigTypeError(
                f"{cls.__name__} got an unexpected keyword argument {name!r}."
                f"{parameter_hint(name, accepted, cls=cls.__name__)}"
            )


@functools.cache
def _keyword_parameters(cls: type) -> frozenset[str] | None:
    init = cls.__init__  # type: ignore[misc]  # the class's own __init__, the one Python calls
    parameters: Mapping[str, Any] = inspect.signature(init).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    return frozenset(name for name in parameters if name != "self")
