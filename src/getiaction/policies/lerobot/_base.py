"""The one hand-written ``LightningModule`` behind every generated LeRobot wrapper.

Generated classes add only a typed signature, documentation and their upstream config class. This
module holds the Lightning hooks, and each hook delegates: to LeRobot itself, step for step as
``lerobot_train`` does it (processors from ``make_pre_post_processors``, the policy's own ``forward``,
optimizer and scheduler from the config's presets, gradient clipping at the preset's
``grad_clip_norm``, ``policy.update()`` after every optimizer step), and to the sibling modules for
everything else: decoding configs (``_config``), checking features, statistics and batches
(``_features``), assembling the policy and its processors (``_assembly``) and saved files
(``_persistence``).

Every way to make a module (``__init__``, ``from_dataset``, ``from_pretrained``, checkpoints, the
universal ``LeRobotPolicy``) ends in ``_from_config``/``_initialise`` with a decoded config.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.random_utils import deserialize_rng_state, serialize_rng_state
from lightning.pytorch import LightningModule
from torch import Tensor

from getiaction.errors import ConfigError, FeatureError, SavedPolicyError
from getiaction.policies.lerobot._assembly import (
    apply_dataset_metadata,
    build_policy,
    build_processors,
    decode_parameters,
    move_preprocessor,
    normaliser_stats,
    outputs_to_fp32,
    training_precision,
)
from getiaction.policies.lerobot._availability import missing_extra_hint
from getiaction.policies.lerobot._config import plain_fields
from getiaction.policies.lerobot._features import (
    Stats,
    TensorStats,
    as_model_inputs,
    batch_size,
    check_against_dataset,
    check_batch,
    check_declared_features,
    check_stats,
    tensor_stats,
)
from getiaction.policies.lerobot._persistence import (
    CHECKPOINT_KEY,
    check_lerobot_version,
    checkpoint_config,
    lerobot_version,
    read_checkpoint,
    read_pretrained_config,
    with_overrides,
    write_pretrained,
)

if TYPE_CHECKING:
    from lerobot.policies.pretrained import PreTrainedPolicy

    from getiaction.policies.lerobot._assembly import Postprocessor, Preprocessor
    from getiaction.policies.lerobot._compat import LeRobotDataset, LeRobotDatasetMetadata

__all__ = ["LeRobotPolicyModule"]

ConfigT = TypeVar("ConfigT", bound=PreTrainedConfig)


class LeRobotPolicyModule(LightningModule, Generic[ConfigT]):
    """A LeRobot policy, its processors and LeRobot's training recipe, as a ``LightningModule``.

    The native policy is ``lerobot_policy``; its pre/post processors are ``preprocessor`` and
    ``postprocessor``. They are built at construction when input and output features are given,
    otherwise from a dataset: ``from_dataset``, or ``setup()`` with a ``LeRobotDataModule``.
    """

    config_class: ClassVar[type[PreTrainedConfig]]

    def __init__(self, *, stats: Stats | None = None, **config_fields: Any) -> None:
        config = type(self)._config_from_parameters(config_fields)
        self._initialise(config, stats=stats, build=_declares_features(config_fields))

    # --- construction: every path ends here -------------------------------------------------

    @classmethod
    def _config_from_parameters(cls, parameters: Mapping[str, Any]) -> PreTrainedConfig:
        """The validated upstream config for the class's own keyword parameters."""
        policy_type = PreTrainedConfig.get_choice_name(cls.config_class)
        with missing_extra_hint(policy_type, cls.__name__):
            return decode_parameters(cls.config_class, parameters, owner=cls.__name__)

    @classmethod
    def _from_config(
        cls,
        config: PreTrainedConfig,
        *,
        stats: Stats | None = None,
        build: bool,
        declared: bool | None = None,
    ) -> Self:
        """A module around an already decoded ``config`` (``from_pretrained``, checkpoints, datasets)."""
        module = cls.__new__(cls)
        module._initialise(config, stats=stats, build=build, declared=declared)
        return module

    def _initialise(
        self, config: PreTrainedConfig, *, stats: Stats | None, build: bool, declared: bool | None = None
    ) -> None:
        """``build``: build the policy now. ``declared``: the config's features are the user's (default:
        ``build``), so a dataset must match them; otherwise they are upstream placeholders, if any."""
        LightningModule.__init__(self)
        self._features_declared = build if declared is None else declared
        self._config: ConfigT = config  # type: ignore[assignment]  # the class's own config class
        self._stats: TensorStats | None = tensor_stats(stats, owner=self._owner)
        self.lerobot_policy: PreTrainedPolicy | None = None
        self.preprocessor: Preprocessor | None = None
        self.postprocessor: Postprocessor | None = None
        self._processor_device: torch.device | None = None
        self._normalisation_checked = False
        self._grad_clip_norm: float | None = None
        self._pending_rng_state: dict[str, Tensor] | None = None  # restored at the first resumed step
        self._record_hyperparameters()
        if build:
            self._build()

    @classmethod
    def from_dataset(
        cls,
        dataset: LeRobotDataset | LeRobotDatasetMetadata | str,
        /,
        *,
        root: str | Path | None = None,
        revision: str | None = None,
        use_imagenet_stats: bool = True,
        **parameters: Any,
    ) -> Self:
        """A policy built for a dataset in one call: features and statistics come from it.

        ``dataset`` is a ``LeRobotDataset``, its metadata, or a repo id (read from ``root`` or the hub).
        As ``lerobot-train`` does by default, cameras are normalised with ImageNet statistics
        (``use_imagenet_stats``). ``parameters`` are the class's own keyword parameters.
        """
        from getiaction.data.lerobot import dataset_metadata, training_stats

        meta = dataset_metadata(dataset, root=root, revision=revision)
        config = cls._config_from_parameters(parameters)
        module = cls._from_config(
            config,
            stats=training_stats(meta, use_imagenet_stats),
            build=False,
            declared=_declares_features(parameters),
        )
        module._build(meta)
        return module

    def _record_hyperparameters(self) -> None:
        # Plain JSON values only: checkpoints load with `weights_only=True`. `_class_path` names the explicit
        # wrapper, so LightningCLI's `--ckpt_path` rebuilds the same class from them.
        from getiaction.policies.lerobot import POLICY_CLASSES

        class_path = f"getiaction.policies.lerobot.{POLICY_CLASSES[self.policy_type]}"
        self._set_hparams({"_class_path": class_path, **plain_fields(self._config)})

    @property
    def _owner(self) -> str:
        return type(self).__name__

    # --- configuration ---------------------------------------------------------------------

    @property
    def config(self) -> ConfigT:
        """The upstream LeRobot config this module was built from."""
        return self._config

    @property
    def policy_type(self) -> str:
        """LeRobot's registry key for this policy (``"act"``, ``"diffusion"``, ...)."""
        return str(self._config.type)

    @property
    def stats(self) -> TensorStats | None:
        """The normalisation statistics the processors were built with."""
        return self._stats

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        """Whether this class can hold a saved policy of ``policy_type``."""
        return bool(PreTrainedConfig.get_choice_name(cls.config_class) == policy_type)

    # --- building ----------------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        meta: LeRobotDatasetMetadata | None = getattr(datamodule, "dataset_meta", None)
        if self.lerobot_policy is None:
            if meta is None:
                raise FeatureError(
                    f"{self._owner} has no input/output features to build the policy from: pass "
                    "`input_features` and `output_features` (and `stats`) at construction, use "
                    f"{self._owner}.from_dataset(...), or fit with a datamodule that exposes `dataset_meta` "
                    "(getiaction.data.lerobot.LeRobotDataModule)."
                )
            self._build(meta)
        elif meta is not None:
            check_against_dataset(self._config, meta.features, owner=self._owner)
            if self._stats is None and meta.stats is not None:
                # Built at construction without statistics: normalise with the dataset's, as a module
                # built from the datamodule would.
                self._stats = tensor_stats(meta.stats, owner=self._owner)
                self._build_processors()

    def _build(self, meta: LeRobotDatasetMetadata | None = None, *, strict: bool = False) -> None:
        """Build the native policy and its processors, as ``make_policy`` and ``lerobot_train`` do.

        With ``pretrained_path`` set, weights load from there; ``strict`` refuses missing or unexpected
        keys (LeRobot's own default, kept for fine-tuning, only logs them).
        """
        if meta is not None:
            apply_dataset_metadata(self._config, meta, owner=self._owner, check=self._features_declared)
            if self._stats is None and meta.stats is not None:
                self._stats = tensor_stats(meta.stats, owner=self._owner)
        check_declared_features(self._config, owner=self._owner)
        # Statistics given must cover every normalised feature; none at all are checked at first use
        # (a datamodule may still bring them).
        check_stats(self._config, self._stats, owner=self._owner, complete=self._stats is not None)
        with missing_extra_hint(self.policy_type, self._owner):
            self.lerobot_policy = build_policy(self._config, stats=self._stats, meta=meta, strict=strict)
            self._build_processors()
        self._record_hyperparameters()

    def _build_processors(self) -> None:
        self.preprocessor, self.postprocessor = build_processors(self._config, self._stats)
        if self._config.pretrained_path and self._stats is None:
            self._stats = normaliser_stats(self.preprocessor)
        self._processor_device = None
        self._normalisation_checked = False

    def _prepared_policy(self) -> tuple[PreTrainedPolicy, Preprocessor, Postprocessor]:
        """The built policy and its processors, pointed at this module's device, normalisation checked."""
        if self.lerobot_policy is None or self.preprocessor is None or self.postprocessor is None:
            raise RuntimeError(
                f"{self._owner} is not built yet: give `input_features` and `output_features` at construction, "
                f"use {self._owner}.from_dataset(...), or let `Trainer.fit` build it from a LeRobotDataModule."
            )
        if not self._normalisation_checked:
            check_stats(self._config, self._stats, owner=self._owner, complete=True)
            self._normalisation_checked = True
        device = self.device
        if device != self._processor_device:
            move_preprocessor(self.preprocessor, device)
            self._config.device = device.type
            self._processor_device = device
        return self.lerobot_policy, self.preprocessor, self.postprocessor

    # --- training, validation, test ------------------------------------------------------------

    def forward(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any]]:
        """Loss and LeRobot's loss dict for a raw dataset batch (checked, then preprocessed here)."""
        policy, preprocessor, _ = self._prepared_policy()
        check_batch(batch, self._config, owner=self._owner, training=True)
        inputs = preprocessor(as_model_inputs(batch, self._config))
        with self._autocast():
            output: object = outputs_to_fp32(policy.forward(inputs))
        # Most policies return (loss, info); some return a dict holding "loss". Check, don't trust.
        if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], Tensor):
            info: object = output[1]
            return output[0], dict(info) if isinstance(info, Mapping) else {}
        if isinstance(output, Mapping):
            loss = output.get("loss")
            if isinstance(loss, Tensor):
                return loss, {key: value for key, value in output.items() if key != "loss"}
        raise NotImplementedError(
            f"{self._owner}: LeRobot's {type(policy).__name__}.forward returns no loss "
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
        return self._loss_step("train", batch)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._loss_step("val", batch)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._loss_step("test", batch)

    def predict_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> Tensor:
        """Unnormalised actions for a batch of observations, each sample on its own (queues reset)."""
        self.reset()
        return self.select_action(batch)

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

    # --- optimisation --------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        """The optimizer and scheduler ``lerobot_train`` builds from the config's presets."""
        policy, _, _ = self._prepared_policy()
        preset = self._config.get_optimizer_preset()
        optimizer = preset.build(policy.get_optim_params())
        if isinstance(optimizer, Mapping):
            raise NotImplementedError(
                f"{self._owner}: LeRobot trains {self.policy_type!r} with several optimizers "
                f"({', '.join(sorted(optimizer))}) outside its supervised training loop; this wrapper "
                "supports inference for it, not training."
            )
        if training_precision(self._config, self.device) == torch.float16 and "16-mixed" not in str(
            self.trainer.precision
        ):
            raise ConfigError(
                f"{self._owner}: LeRobot trains this config in float16 mixed precision (its dtype/use_amp on "
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

    # --- inference -------------------------------------------------------------------------------

    @torch.no_grad()
    def select_action(self, observation: dict[str, Any]) -> Tensor:
        """One unnormalised action for a raw observation (as a dataset or an environment gives it).

        uint8 camera frames are scaled to [0, 1] and float64 values cast to float32, as in training.
        """
        policy, preprocessor, postprocessor = self._prepared_policy()
        check_batch(observation, self._config, owner=self._owner, training=False)
        action = policy.select_action(preprocessor(as_model_inputs(observation, self._config)))
        return postprocessor(action)

    @torch.no_grad()
    def predict_action_chunk(self, observation: dict[str, Any]) -> Tensor:
        """The unnormalised action chunk LeRobot's ``predict_action_chunk`` gives for a raw observation."""
        policy, preprocessor, postprocessor = self._prepared_policy()
        check_batch(observation, self._config, owner=self._owner, training=False)
        chunk = policy.predict_action_chunk(preprocessor(as_model_inputs(observation, self._config)))
        return postprocessor(chunk)

    def reset(self) -> None:
        """Clear the policy's action and observation queues (call when an episode starts)."""
        if self.lerobot_policy is not None:
            reset: Callable[[], object] = self.lerobot_policy.reset  # untyped upstream
            reset()

    # --- Lightning checkpoints ------------------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Tensors and plain values only, so the file loads with `weights_only=True`. The RNG state makes
        # a resumed run draw the same dropout masks and noise as an uninterrupted one.
        checkpoint[CHECKPOINT_KEY] = {
            "policy_type": self.policy_type,
            "lerobot_version": lerobot_version(),
            "stats": self._stats,
            "rng_state": serialize_rng_state(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(CHECKPOINT_KEY)
        if not isinstance(saved, Mapping) or "stats" not in saved:
            raise SavedPolicyError(
                f"{self._owner}: not a getiaction checkpoint (no {CHECKPOINT_KEY!r} entry with 'stats')"
            )
        if saved.get("policy_type") != self.policy_type:
            raise SavedPolicyError(
                f"{self._owner}: the checkpoint holds a {saved.get('policy_type')!r} policy, "
                f"not {self.policy_type!r}"
            )
        check_lerobot_version(saved.get("lerobot_version"), "the checkpoint")
        self._stats = tensor_stats(saved["stats"], owner=f"{self._owner} (checkpoint)")
        check_stats(self._config, self._stats, owner=f"{self._owner} (checkpoint)", complete=False)
        self._pending_rng_state = saved.get("rng_state")
        if self.lerobot_policy is not None:
            self._build_processors()

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Restored here, not on load: Lightning draws from the RNG when it starts a DataLoader
        # iterator, which an uninterrupted run did before the checkpoint, not after it.
        if self._pending_rng_state is not None:
            deserialize_rng_state(self._pending_rng_state)
            self._pending_rng_state = None

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str | Path,
        map_location: Any = None,
        hparams_file: str | Path | None = None,
        strict: bool | None = None,
        weights_only: bool | None = None,
        **kwargs: Any,
    ) -> Self:
        """Rebuild the module from a Lightning checkpoint; nothing pickled is executed.

        The file is checked first: a checkpoint of another policy or LeRobot release, a missing or
        unreadable file, or hyperparameters this LeRobot does not know are errors naming the file.
        ``kwargs`` override saved parameters, as in Lightning. ``weights_only=False`` is refused:
        getiaction checkpoints hold plain values only.
        """
        if weights_only is False:
            raise ValueError(
                f"{cls.__name__}.load_from_checkpoint: getiaction checkpoints load with weights_only"
            )
        path = Path(checkpoint_path)
        if map_location is None and not torch.cuda.is_available():
            map_location = "cpu"
        checkpoint = read_checkpoint(path, map_location)
        saved_type = checkpoint[CHECKPOINT_KEY].get("policy_type")
        if not isinstance(saved_type, str) or not cls.loads_policy_type(saved_type):
            raise SavedPolicyError(
                f"{path}: holds a {saved_type!r} policy, which {cls.__name__} cannot load; use its own class "
                "or LeRobotPolicy"
            )
        config, hparams = checkpoint_config(
            checkpoint, path, hparams_file=hparams_file, overrides=kwargs, owner=cls.__name__
        )
        module = cls._from_config(config, build=_declares_features(hparams))
        module.on_load_checkpoint(checkpoint)
        module.load_state_dict(checkpoint["state_dict"], strict=True if strict is None else strict)
        first = next((t for t in checkpoint["state_dict"].values() if isinstance(t, Tensor)), None)
        return module.to(first.device) if first is not None else module

    # --- LeRobot's pretrained format ---------------------------------------------------------

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write LeRobot's pretrained layout, as ``lerobot-train`` does: what ``XPolicy.from_pretrained``
        and ``make_pre_post_processors(config, pretrained_path=...)`` load.

        The write is atomic: a crash leaves the previous save (or none), never a mix of both.
        """
        policy, preprocessor, postprocessor = self._prepared_policy()

        def write(staging: Path) -> None:
            policy.save_pretrained(staging)
            preprocessor.save_pretrained(staging)
            postprocessor.save_pretrained(staging)

        return write_pretrained(Path(directory), self.policy_type, write)

    @classmethod
    def from_pretrained(
        cls, pretrained_name_or_path: str | Path, *, revision: str | None = None, **overrides: Any
    ) -> Self:
        """Load a policy saved by LeRobot (``save_pretrained``, ``lerobot-train``, the hub) into this class.

        Weights load strictly: a file that does not fit the policy is an error, never a partial load.
        ``overrides`` change config fields, e.g. ``device="cpu"`` or ``n_action_steps=10``.
        """
        source = str(pretrained_name_or_path)
        config = read_pretrained_config(source, revision)
        if not cls.loads_policy_type(config.type):
            raise SavedPolicyError(
                f"{source}: holds a {config.type!r} policy, which {cls.__name__} cannot load; use its own class "
                "or LeRobotPolicy.from_pretrained"
            )
        config = with_overrides(config, overrides, owner=f"{cls.__name__}.from_pretrained")
        config.pretrained_path = Path(
            source
        )  # as lerobot-train sets it: weights and processors load from here
        config.pretrained_revision = revision
        module = cls._from_config(config, build=False, declared=True)
        module._build(strict=True)
        module.eval()  # as LeRobot's from_pretrained
        return module


def _declares_features(parameters: Mapping[str, Any]) -> bool:
    # Build at construction only for features the caller gave: some configs fill in placeholder features
    # in __post_init__ (fastwam), which must not trigger building (and downloading) a model.
    return bool(parameters.get("input_features") and parameters.get("output_features"))


def _as_scalar(value: Any) -> float | None:
    if isinstance(value, Tensor) and value.numel() == 1:
        return float(value.detach().item())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
