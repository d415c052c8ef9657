"""Construction and building: every way to make a module, the native policy it builds, its statistics.

Every way to make a module (``__init__``, ``from_dataset``, ``from_pretrained``, checkpoints, the
universal ``LeRobotPolicy``) ends in ``_initialise`` with a decoded config: hyperparameters are recorded
first, then the policy is built (at once when the features are known, else from a dataset in
``setup``), as torchgeo's trainers save hyperparameters and then build. The statistics have one owner,
the ``stats`` property: setting them checks them and rebuilds the processors.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar

import torch
from lerobot.configs.policies import PreTrainedConfig
from lightning.pytorch import LightningModule

from getiaction._lerobot.compat import rename_stats
from getiaction._lerobot.datasets import dataset_metadata, training_stats
from getiaction.errors import FeatureError
from getiaction.policies.lerobot import _registry
from getiaction.policies.lerobot._assembly import (
    apply_dataset_metadata,
    build_policy,
    build_processors,
    decode_parameters,
    move_preprocessor,
    normaliser_stats,
)
from getiaction.policies.lerobot._availability import missing_extra_hint
from getiaction.policies.lerobot._config import plain_fields
from getiaction.policies.lerobot._features import (
    check_against_dataset,
    check_declared_features,
    renamed_specs,
)
from getiaction.policies.lerobot._legacy_names import check_keywords
from getiaction.policies.lerobot._options import WrapperOptions, split_wrapper_options
from getiaction.policies.lerobot._peft import check_peft
from getiaction.policies.lerobot._pretrained_files import readable_weight_mismatch
from getiaction.policies.lerobot._stats import Stats, TensorStats, check_stats, tensor_stats

if TYPE_CHECKING:
    from lerobot.configs.default import PeftConfig
    from lerobot.policies.pretrained import PreTrainedPolicy

    from getiaction._lerobot.compat import LeRobotDataset, LeRobotDatasetMetadata
    from getiaction.policies.lerobot._assembly import Postprocessor, Preprocessor

ConfigT = TypeVar("ConfigT", bound=PreTrainedConfig)


class ConstructionMixin(LightningModule, Generic[ConfigT]):
    """The state every concern shares (config, native policy, processors, statistics) and how it is built.

    The native policy is ``lerobot_policy``; its pre/post processors are ``preprocessor`` and
    ``postprocessor``. They are built at construction when input and output features are given,
    otherwise from a dataset: ``from_dataset``, or ``setup()`` with a ``LeRobotDataModule``.
    """

    config_class: ClassVar[type[PreTrainedConfig]]

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        # Python refuses an unknown keyword before __init__ runs, naming nothing it is called now: refuse it
        # here, with the name the original design's `learning_rate` or `dataset_stats` has in LeRobot.
        check_keywords(cls, kwargs)
        return super().__new__(cls)

    def __init__(self, *, stats: Stats | None = None, **parameters: Any) -> None:
        config, options = type(self)._config_and_options(parameters)
        self._initialise(
            config, stats=stats, options=options, build=type(self)._declares_features(parameters)
        )

    # --- every path ends here --------------------------------------------------------------------

    @classmethod
    def _config_and_options(cls, parameters: Mapping[str, Any]) -> tuple[PreTrainedConfig, WrapperOptions]:
        """The class's keyword parameters as the upstream config and the wrapper-only options."""
        fields, options = split_wrapper_options(cls._flattened(parameters))
        return cls._config_from_parameters(fields), WrapperOptions.decode(options, subject=cls.__name__)

    @classmethod
    def _flattened(cls, parameters: Mapping[str, Any]) -> dict[str, Any]:
        """Every parameter at the top level (the universal wrapper also takes them in ``policy_config``)."""
        return dict(parameters)

    @classmethod
    def _config_from_parameters(cls, parameters: Mapping[str, Any]) -> PreTrainedConfig:
        """The validated upstream config for the class's own keyword parameters."""
        policy_type = PreTrainedConfig.get_choice_name(cls.config_class)
        with missing_extra_hint(policy_type, cls.__name__):
            return decode_parameters(cls.config_class, parameters, subject=cls.__name__)

    @classmethod
    def _declares_features(cls, parameters: Mapping[str, Any]) -> bool:
        """Whether the caller's parameters declare both feature directions (then the policy builds now).

        Only features the caller gave count: some configs fill in placeholder features in
        ``__post_init__`` (fastwam), which must not trigger building (and downloading) a model.
        """
        flat = cls._flattened(parameters)
        return bool(flat.get("input_features") and flat.get("output_features"))

    @classmethod
    def _from_config(
        cls,
        config: PreTrainedConfig,
        *,
        stats: Stats | None = None,
        options: WrapperOptions | None = None,
        build: bool,
        declared: bool | None = None,
    ) -> Self:
        """A module around an already decoded ``config`` (``from_pretrained``, checkpoints, datasets)."""
        module = cls.__new__(cls)
        module._initialise(config, stats=stats, options=options, build=build, declared=declared)
        return module

    def _initialise(
        self,
        config: PreTrainedConfig,
        *,
        stats: Stats | None,
        options: WrapperOptions | None = None,
        build: bool,
        declared: bool | None = None,
    ) -> None:
        """``build``: build the policy now. ``declared``: the config's features are the user's (default:
        ``build``), so a dataset must match them; otherwise they are upstream placeholders, if any."""
        LightningModule.__init__(self)
        self._features_declared = build if declared is None else declared
        self._config: ConfigT = config  # type: ignore[assignment]  # the class's own config class
        self._options = options if options is not None else WrapperOptions()
        self._from_checkpoint = False  # set by load_from_checkpoint
        check_peft(config, self._options.peft, subject=self._subject)
        self.lerobot_policy: PreTrainedPolicy | None = None
        self.preprocessor: Preprocessor | None = None
        self.postprocessor: Postprocessor | None = None
        self._stats: TensorStats | None = None
        self._processor_device: torch.device | None = None
        self._normalisation_checked = False
        self._set_stats(stats, subject=self._subject)
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
        meta = dataset_metadata(dataset, root=root, revision=revision)
        config, options = cls._config_and_options(parameters)
        module = cls._from_config(
            config,
            stats=training_stats(meta, use_imagenet_stats),
            options=options,
            build=False,
            declared=cls._declares_features(parameters),
        )
        module._build(meta)
        return module

    def _record_hyperparameters(self) -> None:
        # Plain JSON values only: checkpoints load with `weights_only=True`. `_class_path` names the explicit
        # wrapper, so LightningCLI's `--ckpt_path` rebuilds the same class from them.
        naming = _registry.class_hparams(type(self), self.policy_type)
        self._set_hparams({**naming, **plain_fields(self._config), **self._options.plain()})

    @property
    def _subject(self) -> str:
        """What error messages name as the source of a problem: the class."""
        return type(self).__name__

    # --- configuration ---------------------------------------------------------------------------

    @property
    def config(self) -> ConfigT:
        """The upstream LeRobot config this module was built from."""
        return self._config

    @property
    def policy_type(self) -> str:
        """LeRobot's registry key for this policy (``"act"``, ``"diffusion"``, ...)."""
        return str(self._config.type)

    @property
    def policy_name(self) -> str:
        """The LeRobot policy name, as in the design's ``LeRobotPolicy(policy_name=...)``: ``policy_type``."""
        return self.policy_type

    @property
    def rename_map(self) -> dict[str, str]:
        """Dataset key -> the policy's key, as ``lerobot-train --rename_map`` (empty: no renaming)."""
        return dict(self._options.rename_map)

    @property
    def peft(self) -> PeftConfig | None:
        """The PEFT adapter configuration the policy is fine-tuned with, or None."""
        return self._options.peft

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        """Whether this class can hold a saved policy of ``policy_type``."""
        return bool(PreTrainedConfig.get_choice_name(cls.config_class) == policy_type)

    # --- statistics: one owner -------------------------------------------------------------------

    @property
    def stats(self) -> TensorStats | None:
        """The normalisation statistics the processors are built with (assigning rebuilds them)."""
        return self._stats

    @stats.setter
    def stats(self, stats: Stats | None) -> None:
        self._set_stats(stats, subject=self._subject)

    def _set_stats(self, stats: Stats | None, *, subject: str, dataset_names: bool = True) -> None:
        """Keep ``stats`` as tensors under the policy's names (``rename_map`` renames a dataset's, as LeRobot's
        ``rename_stats``, unless ``dataset_names=False``); once the policy is built (its features final),
        check them and rebuild the processors to normalise with them. Before, ``_build`` checks them."""
        if stats is not None and dataset_names and self._options.rename_map:
            stats = rename_stats(
                {key: dict(values) for key, values in stats.items()}, dict(self._options.rename_map)
            )
        converted = tensor_stats(stats, subject=subject)
        if self.lerobot_policy is not None:
            check_stats(self._config, converted, subject=subject, complete=False)
        self._stats = converted
        if self.lerobot_policy is not None:
            self._build_processors()

    # --- building --------------------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        datamodule = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        meta: LeRobotDatasetMetadata | None = getattr(datamodule, "dataset_meta", None)
        if self.lerobot_policy is None:
            if meta is None:
                raise FeatureError(
                    f"{self._subject} has no input/output features to build the policy from: pass "
                    "`input_features` and `output_features` (and `stats`) at construction, use "
                    f"{self._subject}.from_dataset(...), or fit with a datamodule that exposes `dataset_meta` "
                    "(getiaction.data.lerobot.LeRobotDataModule)."
                )
            self._build(meta)
        elif meta is not None and stage == "fit" and self._weights_loaded:
            self._fine_tune_on(meta)
        elif meta is not None:
            check_against_dataset(self._config, self._dataset_features(meta), subject=self._subject)
            if self._stats is None and meta.stats is not None:
                # Built at construction without statistics: normalise with the dataset's, as a module
                # built from the datamodule would.
                self.stats = meta.stats

    @property
    def _weights_loaded(self) -> bool:
        """Whether the weights came from a pretrained policy or a checkpoint (fitting them fine-tunes)."""
        return bool(self._config.pretrained_path) or self._from_checkpoint

    def _fine_tune_on(self, meta: LeRobotDatasetMetadata) -> None:
        """What ``lerobot-train --policy.path`` does with a trained policy and a new dataset: ``make_policy``'s
        features (the base model's inputs kept, which the dataset must fit, and its ACTION outputs) and the
        dataset's statistics in the processors (``lerobot_train``'s ``preprocessor_overrides``).

        A resume (``Trainer.fit(..., ckpt_path=...)``) restores the saved statistics afterwards, in
        ``on_load_checkpoint``, as ``lerobot-train --resume`` keeps them.
        """
        apply_dataset_metadata(
            self._config, meta, subject=self._subject, check=True, rename_map=self._options.rename_map
        )
        self._set_stats(meta.stats, subject=self._subject)
        self._record_hyperparameters()

    def _dataset_features(self, meta: LeRobotDatasetMetadata) -> dict[str, Any]:
        return renamed_specs(meta.features, self._options.rename_map)

    def _build(self, meta: LeRobotDatasetMetadata | None = None, *, strict: bool = False) -> None:
        """Build the native policy and its processors, as ``make_policy`` and ``lerobot_train`` do.

        With ``pretrained_path`` set, weights load from there; ``strict`` refuses missing or unexpected
        keys (LeRobot's own default, kept for fine-tuning, only logs them).
        """
        if meta is not None:
            apply_dataset_metadata(
                self._config,
                meta,
                subject=self._subject,
                check=self._features_declared,
                rename_map=self._options.rename_map,
            )
            if self._stats is None and meta.stats is not None:
                self._set_stats(meta.stats, subject=self._subject)
        check_declared_features(self._config, subject=self._subject)
        # Statistics given must cover every normalised feature; none at all are checked at first use
        # (a datamodule may still bring them).
        check_stats(self._config, self._stats, subject=self._subject, complete=self._stats is not None)
        with missing_extra_hint(self.policy_type, self._subject), readable_weight_mismatch(self._config):
            self.lerobot_policy = build_policy(
                self._config,
                stats=self._stats,
                meta=meta,
                strict=strict,
                peft=self._options.peft,
                subject=self._subject,
            )
            self._build_processors()
        self._record_hyperparameters()

    def _build_processors(self) -> None:
        self.preprocessor, self.postprocessor = build_processors(
            self._config, self._stats, self._options.rename_map
        )
        if self._config.pretrained_path and self._stats is None:
            self._stats = normaliser_stats(self.preprocessor)  # what the saved pipeline normalises with
        self._processor_device = None
        self._normalisation_checked = False

    def _prepared_policy(self) -> tuple[PreTrainedPolicy, Preprocessor, Postprocessor]:
        """The built policy and its processors, pointed at this module's device, normalisation checked."""
        if self.lerobot_policy is None or self.preprocessor is None or self.postprocessor is None:
            given = [name for name in ("input_features", "output_features") if getattr(self._config, name)]
            missing = [name for name in ("input_features", "output_features") if name not in given]
            raise FeatureError(
                f"{self._subject} is not built yet: it was given {' and '.join(given) or 'no features'}, not "
                f"{' or '.join(missing)} (output_features holds the ACTION feature); give both at construction, "
                f"use {self._subject}.from_dataset(...), or let `Trainer.fit` build it from a LeRobotDataModule."
            )
        if not self._normalisation_checked:
            check_stats(self._config, self._stats, subject=self._subject, complete=True)
            self._normalisation_checked = True
        device = self.device
        if device != self._processor_device:
            move_preprocessor(self.preprocessor, device)
            self._config.device = device.type
            self._processor_device = device
        return self.lerobot_policy, self.preprocessor, self.postprocessor
