"""The one hand-written ``LightningModule`` behind every generated LeRobot wrapper.

Generated classes add only a typed signature, documentation and their upstream config class. All
behaviour lives here and delegates to LeRobot itself, step for step as ``lerobot_train`` does it:
processors from ``make_pre_post_processors``, the policy's own ``forward``, optimizer and scheduler
from the config's presets, gradient clipping at the preset's ``grad_clip_norm``, and
``policy.update()`` after every optimizer step.
"""

from __future__ import annotations

import difflib
import inspect
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeAlias, TypeVar, cast

import draccus
import numpy as np
import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.policies.factory import get_policy_class, make_pre_post_processors
from lerobot.processor import DeviceProcessorStep, NormalizerProcessorStep
from lerobot.utils.constants import ACTION
from lerobot.utils.feature_utils import dataset_to_policy_features
from lerobot.utils.random_utils import deserialize_rng_state, serialize_rng_state
from lightning.pytorch import LightningModule
from torch import Tensor

from getiaction.policies.lerobot._files import (
    CHECKPOINT_KEY,
    check_lerobot_version,
    lerobot_version,
    read_checkpoint_header,
    read_pretrained_config,
    write_provenance,
)

if TYPE_CHECKING:
    from lerobot.datasets import LeRobotDatasetMetadata
    from lerobot.policies.pretrained import PreTrainedPolicy
    from lerobot.processor import PolicyProcessorPipeline

Stats: TypeAlias = Mapping[str, Mapping[str, Any]]
"""Dataset statistics as LeRobot's ``dataset_stats``: feature -> statistic -> array-like values."""

ConfigT = TypeVar("ConfigT", bound=PreTrainedConfig)

logger = logging.getLogger(__name__)


class LeRobotPolicyModule(LightningModule, Generic[ConfigT]):
    """A LeRobot policy, its processors and LeRobot's training recipe, as a ``LightningModule``.

    The native policy is ``lerobot_policy``; its pre/post processors are ``preprocessor`` and
    ``postprocessor``. They are built at construction when input and output features are given,
    otherwise in ``setup()`` from the attached datamodule's dataset metadata.
    """

    config_class: ClassVar[type[PreTrainedConfig]]

    def __init__(
        self,
        *,
        stats: Stats | None = None,
        _config_class: type[PreTrainedConfig] | None = None,
        **config_fields: Any,
    ) -> None:
        super().__init__()
        config_class = _config_class or type(self).config_class
        config_fields = _normalise_features(config_fields)
        self._config = cast(ConfigT, self._decode_config(config_class, config_fields))
        self._stats: dict[str, dict[str, Tensor]] | None = _tensor_stats(stats)
        self.lerobot_policy: PreTrainedPolicy | None = None
        self.preprocessor: PolicyProcessorPipeline[dict[str, Any], dict[str, Any]] | None = None
        self.postprocessor: PolicyProcessorPipeline[Tensor, Tensor] | None = None
        self._processor_device: torch.device | None = None
        self._grad_clip_norm: float | None = None
        self._pending_rng_state: dict[str, Tensor] | None = None  # restored at the first resumed step
        self._record_hyperparameters()
        # Build now only for features the caller gave: some configs fill in placeholder features
        # in __post_init__ (fastwam), which must not trigger building (and downloading) a model.
        if config_fields.get("input_features") and config_fields.get("output_features"):
            self._build()

    # --- configuration ---------------------------------------------------------------------

    @property
    def config(self) -> ConfigT:
        """The upstream LeRobot config this module was built from."""
        return self._config

    @property
    def policy_type(self) -> str:
        """LeRobot's registry key for this policy (``"act"``, ``"diffusion"``, ...)."""
        return str(self._config.type)

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        """Whether this class can hold a saved policy of ``policy_type``."""
        return bool(PreTrainedConfig.get_choice_name(cls.config_class) == policy_type)

    @classmethod
    def _constructor_arguments(cls, policy_type: str) -> dict[str, Any]:
        """Arguments besides the config fields that rebuilding a saved ``policy_type`` needs."""
        return {}

    @property
    def stats(self) -> dict[str, dict[str, Tensor]] | None:
        """The normalisation statistics the processors were built with."""
        return self._stats

    def _decode_config(
        self, config_class: type[PreTrainedConfig], fields: dict[str, Any]
    ) -> PreTrainedConfig:
        """Build and validate the upstream config, through draccus like LeRobot's own parser.

        Values may be typed (``NormalizationMode.MEAN_STD``) or plain (``"MEAN_STD"``, as YAML and
        checkpoints hold them); draccus checks each against its annotation. Every copy is fresh, so no
        two modules share a mutable default.
        """
        name = type(self).__name__
        try:
            config: PreTrainedConfig = draccus.decode(config_class, draccus.encode(fields))
        except draccus.utils.DecodingError as error:
            raise ValueError(f"{name}: invalid value for {error}") from error
        except draccus.utils.ParsingError as error:
            cause = error.__cause__
            if isinstance(cause, ValueError | TypeError | NotImplementedError):
                raise type(cause)(
                    f"{name}: {config_class.__name__} rejected the configuration: {cause}"
                ) from cause
            raise ValueError(f"{name}: {error}") from error
        return config

    def _record_hyperparameters(self) -> None:
        # Plain JSON-like values only: checkpoints then load with `weights_only=True`, and
        # `load_from_checkpoint` rebuilds the module by passing them back to `__init__`.
        self._set_hparams(_init_fields(self._config))

    # --- building ----------------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.lerobot_policy is not None:
            return
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        meta = getattr(datamodule, "dataset_meta", None)
        if meta is None:
            raise ValueError(
                f"{type(self).__name__} has no input/output features to build the policy from: pass "
                "`input_features` and `output_features` (and `stats`) at construction, or fit with a "
                "datamodule that exposes `dataset_meta` (getiaction.data.lerobot.LeRobotDataModule)."
            )
        self._build(meta)

    def _build(self, meta: LeRobotDatasetMetadata | None = None, *, strict: bool = False) -> None:
        """Build the native policy and its processors, as ``make_policy`` and ``lerobot_train`` do.

        With ``pretrained_path`` set, weights load from there; ``strict`` refuses missing or unexpected
        keys (LeRobot's own default, kept for fine-tuning, only logs them).
        """
        config = self._config
        policy_kwargs: dict[str, Any] = {}
        if meta is not None:
            _apply_dataset_metadata(config, meta)
            if self._stats is None:
                self._stats = _tensor_stats(meta.stats)
            policy_kwargs["dataset_meta"] = meta
        if not config.input_features or not config.output_features:
            raise ValueError(
                f"{type(self).__name__}: cannot build the policy without both input and output features "
                f"(got inputs {sorted(config.input_features or {})}, outputs "
                f"{sorted(config.output_features or {})})."
            )
        if self._stats is not None:
            policy_kwargs["dataset_stats"] = self._stats
        policy_class = get_policy_class(config.type)
        policy_kwargs = _accepted_kwargs(policy_class, policy_kwargs)
        if config.pretrained_path:
            policy = policy_class.from_pretrained(
                config.pretrained_path,
                config=config,
                revision=config.pretrained_revision,
                strict=strict,
                **policy_kwargs,
            )
        else:
            policy = policy_class(config=config, **policy_kwargs)
        self.lerobot_policy = policy
        self._build_processors()
        self._record_hyperparameters()

    def _build_processors(self) -> None:
        config = self._config
        if not config.pretrained_path:
            self.preprocessor, self.postprocessor = make_pre_post_processors(
                config, dataset_stats=self._stats
            )
        else:
            # As lerobot_train does for a pretrained policy: the saved pipelines, on this device, with
            # the current dataset's stats when there are any.
            pre: dict[str, Any] = {"device_processor": {"device": config.device}}
            post: dict[str, Any] = {}
            if self._stats is not None:
                features = {**(config.input_features or {}), **(config.output_features or {})}
                norm_map = getattr(config, "normalization_mapping", None)  # declared per policy
                pre["normalizer_processor"] = {
                    "stats": self._stats,
                    "features": features,
                    "norm_map": norm_map,
                }
                post["unnormalizer_processor"] = {
                    "stats": self._stats,
                    "features": config.output_features,
                    "norm_map": norm_map,
                }
            if getattr(config, "use_relative_actions", False):
                pre["relative_actions_processor"] = {
                    "enabled": True,
                    "exclude_joints": getattr(config, "relative_exclude_joints", []),
                    "action_names": getattr(config, "action_feature_names", None),
                }
                post["absolute_actions_processor"] = {"enabled": True}
            self.preprocessor, self.postprocessor = make_pre_post_processors(
                config,
                pretrained_path=str(config.pretrained_path),
                pretrained_revision=config.pretrained_revision,
                preprocessor_overrides=pre,
                postprocessor_overrides=post,
            )
            if self._stats is None:
                self._stats = _normaliser_stats(self.preprocessor)
        self._processor_device = None

    def _require_policy(self) -> PreTrainedPolicy:
        if self.lerobot_policy is None:
            raise RuntimeError(
                f"{type(self).__name__} is not built yet: give `input_features` and `output_features` at "
                "construction, or let `Trainer.fit` build it from a LeRobotDataModule."
            )
        self._sync_device()
        return self.lerobot_policy

    def _sync_device(self) -> None:
        """Point the preprocessor (and the config) at the device Lightning moved this module to."""
        device = self.device
        if device == self._processor_device or self.preprocessor is None:
            return
        self.preprocessor.steps = [
            DeviceProcessorStep(device=str(device), float_dtype=step.float_dtype)
            if isinstance(step, DeviceProcessorStep)
            else step
            for step in self.preprocessor.steps
        ]
        self._config.device = device.type
        self._processor_device = device

    # --- training ------------------------------------------------------------------------------

    def forward(self, batch: dict[str, Any]) -> tuple[Tensor, dict[str, Any]]:
        """Loss and LeRobot's loss dict for a raw dataset batch (preprocessed here)."""
        policy = self._require_policy()
        assert self.preprocessor is not None
        batch = self.preprocessor(self._images_as_float(batch))
        # Most policies return (loss, info); some return a dict holding "loss". Check, don't trust.
        output: object = policy.forward(batch)
        if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], Tensor):
            return output[0], dict(output[1] or {})
        if isinstance(output, Mapping) and isinstance(output.get("loss"), Tensor):
            return output["loss"], {key: value for key, value in output.items() if key != "loss"}
        raise NotImplementedError(
            f"{type(self).__name__}: LeRobot's {type(policy).__name__}.forward returns no loss "
            f"(got {type(output).__name__}); it cannot be trained by a supervised training step."
        )

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss, info = self.forward(batch)
        self._log_step("train", loss, info, batch)
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss, info = self.forward(batch)
        self._log_step("val", loss, info, batch)
        return loss

    def predict_step(self, batch: dict[str, Any], batch_idx: int, dataloader_idx: int = 0) -> Tensor:
        """Unnormalised actions for a batch of observations, each sample on its own (queues reset)."""
        self.reset()
        return self.select_action(batch)

    def _log_step(self, stage: str, loss: Tensor, info: Mapping[str, Any], batch: Mapping[str, Any]) -> None:
        batch_size = _batch_size(batch)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=batch_size)
        for key, value in info.items():
            scalar = _as_scalar(value)
            if scalar is not None:
                self.log(f"{stage}/{key}", scalar, batch_size=batch_size)

    def _images_as_float(self, batch: dict[str, Any]) -> dict[str, Any]:
        # lerobot_train turns uint8 camera frames into floats in [0, 1] before preprocessing.
        cameras = [key for key in self._config.image_features if key in batch]
        if not any(isinstance(batch[key], Tensor) and batch[key].dtype == torch.uint8 for key in cameras):
            return batch
        batch = dict(batch)
        for key in cameras:
            if batch[key].dtype == torch.uint8:
                batch[key] = batch[key].to(dtype=torch.float32) / 255.0
        return batch

    # --- optimisation --------------------------------------------------------------------------

    def configure_optimizers(self) -> Any:
        """The optimizer and scheduler ``lerobot_train`` builds from the config's presets."""
        policy = self._require_policy()
        preset = self._config.get_optimizer_preset()
        optimizer = preset.build(policy.get_optim_params())
        if isinstance(optimizer, Mapping):
            raise NotImplementedError(
                f"{type(self).__name__}: LeRobot trains {self.policy_type!r} with several optimizers "
                f"({', '.join(sorted(optimizer))}) outside its supervised training loop; this wrapper "
                "supports inference for it, not training."
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
        policy = self._require_policy()
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
        """One unnormalised action for a raw observation (as a dataset or an environment gives it)."""
        policy = self._require_policy()
        assert self.preprocessor is not None and self.postprocessor is not None
        action = policy.select_action(self.preprocessor(observation))
        return self.postprocessor(action)

    @torch.no_grad()
    def predict_action_chunk(self, observation: dict[str, Any]) -> Tensor:
        """The unnormalised action chunk LeRobot's ``predict_action_chunk`` gives for a raw observation."""
        policy = self._require_policy()
        assert self.preprocessor is not None and self.postprocessor is not None
        chunk = policy.predict_action_chunk(self.preprocessor(observation))
        return self.postprocessor(chunk)

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
        if not isinstance(saved, Mapping):
            raise ValueError(
                f"{type(self).__name__}: not a getiaction checkpoint (no {CHECKPOINT_KEY!r} entry)"
            )
        if saved.get("policy_type") != self.policy_type:
            raise ValueError(
                f"{type(self).__name__}: the checkpoint holds a {saved.get('policy_type')!r} policy, "
                f"not {self.policy_type!r}"
            )
        check_lerobot_version(saved.get("lerobot_version"), "the checkpoint")
        self._stats = _tensor_stats(saved.get("stats"))
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
        """Rebuild the module from a Lightning checkpoint; ``weights_only=True`` works (no pickled objects).

        The file is checked first: a checkpoint of another policy, of another LeRobot release, or a
        missing or unreadable file is an error naming it.
        """
        path = Path(checkpoint_path)
        saved_type = str(read_checkpoint_header(path).get("policy_type"))
        if not cls.loads_policy_type(saved_type):
            raise ValueError(
                f"{path}: holds a {saved_type!r} policy, which {cls.__name__} cannot load; use its own class "
                "or LeRobotPolicy"
            )
        kwargs = {**cls._constructor_arguments(saved_type), **kwargs}
        return super().load_from_checkpoint(path, map_location, hparams_file, strict, weights_only, **kwargs)

    # --- LeRobot's pretrained format ---------------------------------------------------------

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write LeRobot's pretrained layout, as ``lerobot-train`` does: what ``XPolicy.from_pretrained``
        and ``make_pre_post_processors(config, pretrained_path=...)`` load."""
        policy = self._require_policy()
        assert self.preprocessor is not None and self.postprocessor is not None
        path = Path(directory)
        policy.save_pretrained(path)
        self.preprocessor.save_pretrained(path)
        self.postprocessor.save_pretrained(path)
        write_provenance(path, self.policy_type)
        return path

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
            raise ValueError(
                f"{source}: holds a {config.type!r} policy, which {cls.__name__} cannot load; use its own class "
                "or LeRobotPolicy.from_pretrained"
            )
        return cls._from_saved_config(config, source, revision, overrides)

    @classmethod
    def _from_saved_config(
        cls, config: PreTrainedConfig, source: str, revision: str | None, overrides: dict[str, Any]
    ) -> Self:
        fields = _init_fields(config)
        unknown = sorted(set(overrides) - set(fields))
        if unknown:
            raise TypeError(
                f"{cls.__name__}.from_pretrained got unknown config fields {unknown}."
                f"{closest_names(unknown[0], sorted(fields))}"
            )
        fields.update(overrides, pretrained_path=source, pretrained_revision=revision)
        # Features go in after construction, so that the policy is built once, from the saved weights.
        features = {key: fields.pop(key) for key in ("input_features", "output_features")}
        module = cls(**cls._constructor_arguments(config.type), **fields)
        restored = module._decode_config(type(config), {**_init_fields(module.config), **features})
        module._config.input_features = restored.input_features
        module._config.output_features = restored.output_features
        module._build(strict=True)
        module.eval()  # as LeRobot's from_pretrained
        return module


def _normalise_features(fields: dict[str, Any]) -> dict[str, Any]:
    """Accept dataset feature specs and one shared feature mapping for both directions.

    LeRobot's examples build ``features = dataset_to_policy_features(meta.features)`` and pass it as
    both inputs and outputs; ``make_policy`` then keeps ACTION features as outputs and the rest as
    inputs. Raw ``meta.features`` (with ``dtype``) are converted the same way first.
    """
    fields = dict(fields)
    for key in ("input_features", "output_features"):
        features = fields.get(key)
        if isinstance(features, Mapping) and any(
            isinstance(spec, Mapping) and "dtype" in spec for spec in features.values()
        ):
            fields[key] = dataset_to_policy_features(dict(features))
    inputs, outputs = fields.get("input_features"), fields.get("output_features")
    if inputs and (inputs is outputs or inputs == outputs):
        fields["output_features"] = {
            k: f for k, f in outputs.items() if _feature_type(f) == FeatureType.ACTION
        }
        fields["input_features"] = {k: f for k, f in inputs.items() if k not in fields["output_features"]}
    return fields


def _feature_type(feature: Any) -> Any:
    if isinstance(feature, PolicyFeature):
        return feature.type
    if isinstance(feature, Mapping):
        return FeatureType(feature.get("type"))
    return None


def _apply_dataset_metadata(config: PreTrainedConfig, meta: LeRobotDatasetMetadata) -> None:
    """What ``make_policy`` does to a config when it builds a policy for a dataset."""
    features = dataset_to_policy_features(meta.features)
    config.output_features = {key: ft for key, ft in features.items() if ft.type is FeatureType.ACTION}
    if not config.input_features:
        config.input_features = {key: ft for key, ft in features.items() if key not in config.output_features}
    if hasattr(config, "action_feature_names"):
        names = meta.features.get(ACTION, {}).get("names")
        if names is not None:
            config.action_feature_names = list(names)
    set_feature_metadata = getattr(config, "set_dataset_feature_metadata", None)
    if callable(set_feature_metadata):
        set_feature_metadata(meta.features)


def _accepted_kwargs(policy_class: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kwargs`` the policy's constructor takes.

    ``make_policy`` passes ``dataset_stats``/``dataset_meta`` to every policy, which breaks the ones
    that take neither (GaussianActorPolicy); pass them only where they are accepted.
    """
    parameters = inspect.signature(policy_class).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {key: value for key, value in kwargs.items() if key in parameters}


def _init_fields(config: PreTrainedConfig) -> dict[str, Any]:
    """A config's constructor arguments as plain values (what YAML, JSON and hparams hold)."""
    encoded = json.loads(json.dumps(draccus.encode(config)))
    return {name: encoded[name] for name, spec in config.__dataclass_fields__.items() if spec.init}


def _normaliser_stats(preprocessor: PolicyProcessorPipeline[Any, Any]) -> dict[str, dict[str, Tensor]] | None:
    """The stats a loaded preprocessor normalises with, nested as LeRobot's ``dataset_stats``."""
    for step in preprocessor.steps:
        if isinstance(step, NormalizerProcessorStep):
            nested: dict[str, dict[str, Tensor]] = {}
            for flat_key, tensor in step.state_dict().items():
                feature, statistic = flat_key.rsplit(".", 1)
                nested.setdefault(feature, {})[statistic] = tensor
            return nested or None
    return None


def _tensor_stats(stats: Stats | None) -> dict[str, dict[str, Tensor]] | None:
    """Stats as CPU tensors: what checkpoints can hold with ``weights_only=True``."""
    if stats is None:
        return None
    return {
        str(feature): {str(name): torch.as_tensor(np.asarray(value)) for name, value in values.items()}
        for feature, values in stats.items()
    }


def _batch_size(batch: Mapping[str, Any]) -> int:
    for key in (ACTION, *batch):
        value = batch.get(key)
        if isinstance(value, Tensor) and value.ndim > 0:
            return int(value.shape[0])
    return 1


def _as_scalar(value: Any) -> float | None:
    if isinstance(value, Tensor) and value.numel() == 1:
        return float(value.detach().item())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def closest_names(name: str, candidates: list[str]) -> str:
    """``" Did you mean: a, b?"`` for a misspelled name, or an empty string."""
    matches = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""
