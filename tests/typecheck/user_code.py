"""User code checked by both typing clients in ``nox -s typecheck`` (never run): mypy and pyright.

Each mistake below carries one ignore comment per checker, naming the error that checker must report:
``# type: ignore[code]`` for mypy (``warn_unused_ignores``, part of ``--strict``) and
``# pyright: ignore[rule]`` for pyright (``reportUnnecessaryTypeIgnoreComment``, with mypy's comments
disabled for it). A line that stops being an error fails the check in each, so both clients must keep
catching the same mistakes on the same lines. IDE users mostly meet the wrappers through Pylance,
which is pyright.
"""

from typing import assert_type

from lerobot.policies.act.configuration_act import ACTConfig
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig

from getiaction.policies.lerobot import ACT, Diffusion, LeRobotPolicy

ACT(dim_model="big")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
ACT(dim_modle=3)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
Diffusion(horizon=1.5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
ACT(64)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]  # parameters are keyword-only

policy = ACT(dim_model=64, chunk_size=10, n_action_steps=10, pretrained_backbone_weights=None)
assert_type(policy.config, ACTConfig)
assert_type(Diffusion(horizon=16).config, DiffusionConfig)
assert_type(policy.config.dim_model, int)
universal = LeRobotPolicy("diffusion", horizon=16)  # runtime selection: kwargs are untyped
assert_type(universal.policy_name, str)
assert_type(policy.policy_name, str)  # on every class, as on LeRobotPolicy
ACT(learning_rate=1e-4)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]  # the design's name: optimizer_lr
# The universal wrapper's from_dataset takes the policy name first, as the design reads, or by keyword.
assert_type(LeRobotPolicy.from_dataset("act", "lerobot/pusht"), LeRobotPolicy)
assert_type(LeRobotPolicy.from_dataset("lerobot/pusht", policy_name="act"), LeRobotPolicy)
assert_type(ACT.from_dataset("lerobot/pusht", dim_model=64), ACT)
