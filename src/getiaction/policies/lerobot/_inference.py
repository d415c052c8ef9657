"""Inference: raw observations in, unnormalised actions out, through LeRobot's processors and policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from getiaction.policies.lerobot._batches import as_model_inputs, check_batch
from getiaction.policies.lerobot._construction import ConfigT, ConstructionMixin


class InferenceMixin(ConstructionMixin[ConfigT]):
    """``select_action``, ``predict_action_chunk``, ``reset`` and Lightning's ``predict_step``."""

    @torch.no_grad()
    def select_action(self, observation: dict[str, Any]) -> Tensor:
        """One unnormalised action for a raw observation (as a dataset or an environment gives it).

        uint8 camera frames are scaled to [0, 1] and float64 values cast to float32, as in training.
        """
        policy, preprocessor, postprocessor = self._prepared_policy()
        action = policy.select_action(preprocessor(self._model_inputs(observation, history=False)))
        return postprocessor(action)

    @torch.no_grad()
    def predict_action_chunk(self, observation: dict[str, Any]) -> Tensor:
        """The unnormalised action chunk LeRobot's ``predict_action_chunk`` gives for a raw observation.

        Policies that keep an observation history (``n_obs_steps`` > 1: diffusion, vqbet) take it here
        with that history, ``(batch, n_obs_steps, ...)`` per key, as a dataset gives it; ``select_action``
        keeps the history itself.
        """
        policy, preprocessor, postprocessor = self._prepared_policy()
        history = int(getattr(self._config, "n_obs_steps", 1)) > 1
        chunk = policy.predict_action_chunk(preprocessor(self._model_inputs(observation, history=history)))
        return postprocessor(chunk)

    def _model_inputs(self, observation: dict[str, Any], *, history: bool) -> dict[str, Any]:
        """The observation checked and converted as training's batches are, before the preprocessor."""
        rename_map = self._options.rename_map
        check_batch(
            observation,
            self._config,
            subject=self._subject,
            training=False,
            rename_map=rename_map,
            history=history,
        )
        return as_model_inputs(observation, self._config, rename_map)

    def reset(self) -> None:
        """Clear the policy's action and observation queues (call when an episode starts)."""
        if self.lerobot_policy is not None:
            reset: Callable[[], object] = self.lerobot_policy.reset  # untyped upstream
            reset()

    def predict_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> Tensor:
        """Unnormalised actions for a batch of observations, each sample on its own (queues reset)."""
        self.reset()
        return self.select_action(batch)
