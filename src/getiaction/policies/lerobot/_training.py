"""LeRobot's training recipe as Lightning hooks, step for step as ``lerobot_train`` runs it.

Each step: raw batch checked, converted and preprocessed by LeRobot's pipeline, ``policy.train()``,
the policy's own ``forward`` (under the autocast accelerate would run it in), backward by Lightning,
gradient clipping at the preset's ``grad_clip_norm``, the preset optimizer and scheduler (stepped every
optimizer step), then ``policy.update()`` where the policy has one (TDMPC's EMA targets).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import torch
from torch import Tensor

from getiaction.errors import BatchError, ConfigError
from getiaction.policies.lerobot._assembly import outputs_to_fp32, training_precision
from getiaction.policies.lerobot._batches import as_model_inputs, batch_size, check_batch
from getiaction.policies.lerobot._construction import ConfigT, ConstructionMixin
from getiaction.policies.lerobot._stats import check_stats_fit_batch


class TrainingMixin(ConstructionMixin[ConfigT]):
    """Loss steps, LeRobot's optimizer and scheduler presets, its clipping and its post-step update."""

    _grad_clip_norm: float | None = None
    _first_batch_checked = True  # reset when a fit starts: the first batch meets the statistics

    def forward(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any]]:
        """Loss and LeRobot's loss dict for a raw dataset batch (checked, then preprocessed here)."""
        policy, preprocessor, _ = self._prepared_policy()
        check_batch(
            batch, self._config, subject=self._subject, training=True, rename_map=self._options.rename_map
        )
        if not self._first_batch_checked:
            check_stats_fit_batch(
                batch, self._config, self._stats, self._options.rename_map, subject=self._subject
            )
            self._first_batch_checked = True
        inputs = preprocessor(as_model_inputs(batch, self._config, self._options.rename_map))
        with self._autocast():
            try:
                output: object = outputs_to_fp32(policy.forward(inputs))
            except KeyError as error:
                missing = error.args[0] if error.args else None
                if not isinstance(missing, str) or missing in inputs:
                    raise
                # LeRobotDataset gives `<key>_is_pad` beside every key with delta timestamps; a hand-made
                # batch may not. Name what LeRobot's policy reads.
                raise BatchError(
                    f"{self._subject}: LeRobot's {type(policy).__name__} reads {missing!r}, which the batch lacks "
                    f"(it has {sorted(batch)}). LeRobotDataset gives '<key>_is_pad' masks with the policy's "
                    "delta_timestamps; for a batch of your own, add them (all False where nothing is padded)"
                ) from error
        # Most policies return (loss, info); some return a dict holding "loss". Check, don't trust.
        if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], Tensor):
            info: object = output[1]
            return output[0], dict(info) if isinstance(info, Mapping) else {}
        if isinstance(output, Mapping):
            loss = output.get("loss")
            if isinstance(loss, Tensor):
                return loss, {key: value for key, value in output.items() if key != "loss"}
        raise NotImplementedError(
            f"{self._subject}: LeRobot's {type(policy).__name__}.forward returns no loss "
            f"(got {type(output).__name__}); it cannot be trained by a supervised training step."
        )

    def _autocast(self) -> contextlib.AbstractContextManager[Any]:
        """The autocast accelerate runs ``lerobot_train``'s forward in (bf16 here; fp16 is refused at fit
        start unless the Trainer scales it)."""
        dtype = training_precision(self._config, self.device)
        if dtype is None or torch.is_autocast_enabled(self.device.type):
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=dtype)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        # As lerobot_train.update_policy, every step: modules built in eval mode (a backbone from
        # transformers' from_pretrained) train too, and policies overriding train() re-freeze theirs.
        if self.lerobot_policy is not None:
            self.lerobot_policy.train()
        loss = self._loss_step("train", batch)
        if not bool(torch.isfinite(loss)):
            # One NaN in a batch would make every weight NaN at the optimizer step; stop before it.
            raise BatchError(
                f"{self._subject}: the training loss is {float(loss)} at step {self.global_step} (batch "
                f"{batch_idx}); {_non_finite_keys(batch) or 'no batch value is non-finite: check the statistics and learning rate'}"
            )
        return loss

    def on_train_start(self) -> None:
        self._first_batch_checked = False

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._loss_step("val", batch)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._loss_step("test", batch)

    def _loss_step(self, stage: str, batch: dict[str, Any]) -> Tensor:
        loss, info = self.forward(batch)
        size = batch_size(batch)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=size)
        for key, value in info.items():
            if key == "loss":  # some loss dicts repeat the loss itself (groot, pi0): logged once, above
                continue
            scalar = _as_scalar(value)
            if scalar is not None:
                self.log(f"{stage}/{key}", scalar, batch_size=size)
        return loss

    # --- optimisation --------------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        """The optimizer and scheduler ``lerobot_train`` builds from the config's presets."""
        policy, _, _ = self._prepared_policy()
        preset = self._config.get_optimizer_preset()
        optimizer = preset.build(policy.get_optim_params())
        if isinstance(optimizer, Mapping):
            raise NotImplementedError(
                f"{self._subject}: LeRobot trains {self.policy_type!r} with several optimizers "
                f"({', '.join(sorted(optimizer))}) outside its supervised training loop; this wrapper "
                "supports inference for it, not training."
            )
        if training_precision(self._config, self.device) == torch.float16 and "16-mixed" not in str(
            self.trainer.precision
        ):
            raise ConfigError(
                f"{self._subject}: LeRobot trains this config in float16 mixed precision (its dtype/use_amp on "
                f"{self.device.type}), which needs loss scaling: pass Trainer(precision='16-mixed'), or set "
                "the config's dtype to bfloat16/float32 (use_amp=False)"
            )
        self._grad_clip_norm = float(preset.grad_clip_norm)
        scheduler_preset = self._config.get_scheduler_preset()
        if scheduler_preset is None:
            return optimizer
        scheduler = scheduler_preset.build(optimizer, self._total_training_steps())
        # lerobot_train steps the scheduler after every optimizer step.
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _total_training_steps(self) -> int:
        trainer = self.trainer
        if trainer.max_steps is not None and trainer.max_steps > 0:
            return int(trainer.max_steps)
        return int(trainer.estimated_stepping_batches)

    def configure_gradient_clipping(
        self,
        optimizer: torch.optim.Optimizer,
        gradient_clip_val: int | float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Clip at the preset's ``grad_clip_norm`` as ``lerobot_train`` does, unless the Trainer sets one."""
        if gradient_clip_val is not None:
            self.clip_gradients(optimizer, gradient_clip_val, gradient_clip_algorithm)
            return
        policy, _, _ = self._prepared_policy()
        max_norm = self._grad_clip_norm if self._grad_clip_norm is not None else 0.0
        # lerobot_train measures the norm (and logs it) even when it does not clip.
        grad_norm = torch.nn.utils.clip_grad_norm_(
            policy.parameters(), max_norm if max_norm > 0 else float("inf"), error_if_nonfinite=False
        )
        self.log("train/grad_norm", grad_norm)

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        super().optimizer_step(*args, **kwargs)
        # TDMPC and others keep EMA target networks: lerobot_train calls update() after each step.
        update = getattr(self.lerobot_policy, "update", None)
        if callable(update):
            update()


def _non_finite_keys(batch: Mapping[str, Any]) -> str:
    keys = sorted(
        key
        for key, value in batch.items()
        if isinstance(value, Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all())
    )
    return f"non-finite values in the batch's {', '.join(map(repr, keys))}" if keys else ""


def _as_scalar(value: Any) -> float | None:
    if isinstance(value, Tensor) and value.numel() == 1:
        return float(value.detach().item())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
