"""The quickstart's baselines, a random policy and the scripted demonstrator, as LeRobot policies.

``eval_policy_all`` evaluates a ``PreTrainedPolicy``; so are these, with no weights and identity processors, so
that the baselines run through the very evaluator (and environments, and seeds) the trained policy runs through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot.processor import (
    PolicyProcessorPipeline,
    policy_action_to_transition,
    transition_to_policy_action,
)
from torch import Tensor

from getiaction.evaluation.delegate import PolicyParts
from getiaction.quickstart.demonstrator import ARENA, block_centre, scripted_action

__all__ = ["BaselineConfig", "DemonstratorPolicy", "RandomPolicy", "baseline_parts"]


# LeRobot's base classes are untyped where these touch them (__init_subclass__, `config_class: None`).
@dataclass
class BaselineConfig(PreTrainedConfig):  # type: ignore[no-untyped-call]
    """The config of a baseline: no features, no training, no presets; the seed of its random draws."""

    seed: int = 0
    device: str | None = "cpu"

    @property
    def observation_delta_indices(self) -> None:
        return None

    @property
    def action_delta_indices(self) -> None:
        return None

    @property
    def reward_delta_indices(self) -> None:
        return None

    def get_optimizer_preset(self) -> Any:
        raise NotImplementedError("the quickstart's baselines are not trained")

    def get_scheduler_preset(self) -> None:
        return None

    def validate_features(self) -> None:
        pass


class _Baseline(PreTrainedPolicy):  # type: ignore[no-untyped-call]
    config_class = BaselineConfig  # type: ignore[assignment]
    name = "quickstart_baseline"  # type: ignore[assignment]

    def get_optim_params(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        pass

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, dict[str, Any] | None]:
        raise NotImplementedError("the quickstart's baselines are not trained")

    def predict_action_chunk(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        return self.select_action(batch)[:, None]

    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        raise NotImplementedError


class RandomPolicy(_Baseline):  # type: ignore[no-untyped-call]
    """Uniform random target positions in the arena, from a generator seeded with ``config.seed``."""

    name = "quickstart_random"

    def __init__(self, config: BaselineConfig) -> None:
        super().__init__(config)
        self.generator = torch.Generator().manual_seed(config.seed)

    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        count = batch["observation.state"].shape[0]
        return torch.rand(count, 2, generator=self.generator) * ARENA


class DemonstratorPolicy(_Baseline):  # type: ignore[no-untyped-call]
    """The scripted demonstrator that recorded the training data, acting on the keypoint observation."""

    name = "quickstart_demonstrator"

    def select_action(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        agents = batch["observation.state"].double().numpy()
        keypoints = batch["observation.environment_state"].double().numpy()
        actions = [
            scripted_action(agent, block_centre(points))
            for agent, points in zip(agents, keypoints, strict=True)
        ]
        return torch.from_numpy(np.stack(actions)).float()


def baseline_parts(policy: _Baseline) -> PolicyParts:
    """The policy with identity processors: observations go in as the environment gives them, actions out."""
    preprocessor = PolicyProcessorPipeline[dict[str, Any], dict[str, Any]](steps=[])
    postprocessor = PolicyProcessorPipeline[Tensor, Tensor](
        steps=[], to_transition=policy_action_to_transition, to_output=transition_to_policy_action
    )
    return PolicyParts(policy, preprocessor, postprocessor)
