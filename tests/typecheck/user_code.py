"""User code checked by ``mypy --strict`` in ``nox -s typecheck`` (never run).

Each ``# type: ignore[code]`` marks an error mypy must report: with ``warn_unused_ignores`` (part of
``--strict``), an ignore that is no longer needed fails the check, so these lines prove the
wrappers' signatures catch the mistakes.
"""

from typing import assert_type

from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

from getiaction.policies.lerobot import ACT, Diffusion, LeRobotPolicy

ACT(dim_model="big")  # type: ignore[arg-type]
ACT(dim_modle=3)  # type: ignore[call-arg]
Diffusion(horizon=1.5)  # type: ignore[arg-type]
ACT(64)  # type: ignore[call-arg]  # parameters are keyword-only

policy = ACT(dim_model=64, chunk_size=10, n_action_steps=10, pretrained_backbone_weights=None)
assert_type(policy.config, ACTConfig)
assert_type(Diffusion(horizon=16).config, DiffusionConfig)
assert_type(policy.config.dim_model, int)
universal = LeRobotPolicy("diffusion", horizon=16)  # runtime selection: kwargs are untyped
