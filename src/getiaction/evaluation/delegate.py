"""Rollouts, aggregation and videos by ``lerobot-eval``'s own ``eval_policy_all``, for a getiaction policy.

Nothing here steps an environment, averages a score or encodes a frame: ``eval_policy_all`` does, as
``lerobot-eval`` and ``lerobot-train`` call it. This module hands it a policy's native LeRobot parts (a getiaction
module's ``lerobot_policy``, ``preprocessor`` and ``postprocessor``), the environment's processors from
``make_env_pre_post_processors``, and ``lerobot-eval``'s ``no_grad`` and autocast around it. What comes back is
``lerobot-eval``'s ``eval_info.json``: ``per_task``, ``per_group`` and ``overall``.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias

import torch
from lerobot.envs.configs import EnvConfig
from lerobot.envs.factory import make_env_pre_post_processors
from lerobot.processor import PolicyProcessorPipeline, RenameObservationsProcessorStep
from lerobot.scripts.lerobot_eval import eval_policy_all

from getiaction.evaluation.environments import Envs

if TYPE_CHECKING:
    from lerobot.policies.pretrained import PreTrainedPolicy

    from getiaction.policies.lerobot import LeRobotPolicyModule

__all__ = ["EvalInfo", "PolicyParts", "evaluate", "policy_parts"]

# lerobot-eval's eval_info.json: {"per_task": [...], "per_group": {...}, "overall": {...}}.
EvalInfo: TypeAlias = dict[str, Any]


class PolicyParts(NamedTuple):
    """What ``eval_policy_all`` takes for a policy: the native policy and its two processor pipelines."""

    policy: PreTrainedPolicy
    preprocessor: PolicyProcessorPipeline[dict[str, Any], dict[str, Any]]
    postprocessor: PolicyProcessorPipeline[Any, Any]


def policy_parts(
    module: LeRobotPolicyModule[Any], *, rename_map: Mapping[str, str] | None = None
) -> PolicyParts:
    """A getiaction module's LeRobot parts, the preprocessor sending observations where the policy is.

    ``lerobot-eval`` overrides the loaded preprocessor's ``device_processor`` with the policy's device and its
    ``rename_observations_processor`` with ``--rename_map``. The module's own parts already run on its device
    (as for ``select_action``); ``rename_map`` replaces the rename step on a copy of the pipeline, and
    ``None`` keeps the module's.
    """
    policy, preprocessor, postprocessor = module._prepared_policy()  # built, statistics complete
    if rename_map is not None:
        preprocessor = copy.copy(preprocessor)
        preprocessor.steps = [
            RenameObservationsProcessorStep(rename_map=dict(rename_map))
            if isinstance(step, RenameObservationsProcessorStep)
            else step
            for step in preprocessor.steps
        ]
    return PolicyParts(policy, preprocessor, postprocessor)


def evaluate(
    parts: PolicyParts,
    envs: Envs,
    env: EnvConfig,
    *,
    n_episodes: int,
    start_seed: int | None,
    videos_dir: Path | None = None,
    max_episodes_rendered: int = 0,
    use_amp: bool | None = None,
    recording_dir: Path | None = None,
    recording_repo_id: str | None = None,
    recording_private: bool = False,
) -> EvalInfo:
    """``n_episodes`` per task of ``envs`` (made from ``env``), episode ``i`` seeded ``start_seed + i``.

    What ``lerobot-eval`` runs after making its environments and policy, argument for argument: the
    environment processors for this environment and policy, then ``eval_policy_all`` under ``no_grad`` (and
    autocast with ``use_amp``; None: the policy config's, as ``lerobot-eval`` reads it). Videos of the first ``max_episodes_rendered`` episodes of each task go to
    ``videos_dir/<group>_<task id>/``; with ``recording_dir`` the rollouts are recorded as LeRobot datasets
    instead. The environments are closed when it returns.
    """
    policy, preprocessor, postprocessor = parts
    env_preprocessor, env_postprocessor = make_env_pre_post_processors(env_cfg=env, policy_cfg=policy.config)
    parameter = next(policy.parameters(), None)
    device_type = parameter.device.type if parameter is not None else "cpu"
    if use_amp is None:
        use_amp = bool(getattr(policy.config, "use_amp", False))
    autocast = torch.autocast(device_type=device_type) if use_amp else contextlib.nullcontext()
    with torch.no_grad(), autocast:
        info: EvalInfo = eval_policy_all(
            envs=envs,
            policy=policy,
            env_preprocessor=env_preprocessor,
            env_postprocessor=env_postprocessor,
            preprocessor=preprocessor,
            postprocessor=postprocessor,
            n_episodes=n_episodes,
            max_episodes_rendered=max_episodes_rendered,
            videos_dir=videos_dir,
            return_episode_data=False,
            start_seed=start_seed,
            max_parallel_tasks=env.max_parallel_tasks,
            recording_dir=recording_dir,
            env_features=env.features if recording_dir is not None else None,
            recording_repo_id=recording_repo_id,
            recording_private=recording_private,
        )
    return info
