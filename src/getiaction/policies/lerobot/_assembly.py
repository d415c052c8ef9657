"""Assembling the native LeRobot policy and its processors, as ``make_policy`` and ``lerobot_train`` do."""

from __future__ import annotations

import inspect
from collections.abc import Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import torch
from lerobot.configs.types import FeatureType
from lerobot.policies.factory import get_policy_class, make_pre_post_processors
from lerobot.processor import DeviceProcessorStep, NormalizerProcessorStep, RenameObservationsProcessorStep
from lerobot.utils.constants import ACTION

from getiaction._lerobot.compat import (
    LEROBOT_TRAIN_AUTOCASTS,
    dataset_to_policy_features,
    pretrained_revision,
    processor_revision,
    relative_actions_step,
)
from getiaction.errors import ConfigTypeError, FeatureError
from getiaction.policies.lerobot._config import decode_config, field_names
from getiaction.policies.lerobot._constraints import check_constraints
from getiaction.policies.lerobot._features import (
    check_against_dataset,
    converted_feature_fields,
    dataset_feature_specs,
    declared_features,
    renamed_specs,
)
from getiaction.policies.lerobot._legacy_names import parameter_hint
from getiaction.policies.lerobot._normalization_mapping import (
    check_dropped_keys,
    dropped_keys,
    note_dropped_keys,
)
from getiaction.policies.lerobot._options import WRAPPER_OPTIONS
from getiaction.policies.lerobot._peft import check_peft, is_adapter, load_adapter, wrap_with_peft
from getiaction.policies.lerobot._stats import TensorStats

if TYPE_CHECKING:
    from lerobot.configs.default import PeftConfig
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.pretrained import PreTrainedPolicy
    from lerobot.processor import PolicyProcessorPipeline

    from getiaction._lerobot.compat import LeRobotDatasetMetadata

    Preprocessor = PolicyProcessorPipeline[dict[str, Any], dict[str, Any]]
    Postprocessor = PolicyProcessorPipeline[torch.Tensor, torch.Tensor]


def refuse_unknown_parameters(
    parameters: Iterable[str],
    known: Collection[str],
    *,
    subject: str,
    owner: str | None = None,
    hints: Mapping[str, str] | None = None,
) -> None:
    """Refuse a parameter that is no field in ``known``, suggesting the nearest name. ``subject`` names the
    call, ``owner`` the class whose parameters they are when that is another (``LeRobotPolicy('act')``'s
    are ACT's); ``hints`` replace the suggestion for particular names."""
    for name in parameters:
        if name in known:
            continue
        hint = parameter_hint(name, [*known, "stats", *WRAPPER_OPTIONS], cls=owner or subject)
        if name == "stats":
            hint = " The statistics come from the dataset here: assign `.stats` afterwards to use others."
        hint = (hints or {}).get(name, hint)
        no_such = f": {owner} has no such parameter" if owner is not None else ""
        raise ConfigTypeError(f"{subject} got an unexpected keyword argument {name!r}{no_such}.{hint}")


def decode_parameters(
    config_class: type[PreTrainedConfig], parameters: Mapping[str, Any], *, subject: str
) -> PreTrainedConfig:
    """A wrapper's keyword parameters as its validated upstream config.

    A dataset's own feature specs (``meta.features``, names included) given for both directions are
    applied after decoding, as ``make_policy`` applies them, so that configs which read the dataset's
    feature names or shapes (molmoact2's gripper dimensions, fastwam's camera sizes) see the same.
    A ``normalization_mapping`` given must keep the policy's default keys for the features it has (a saved
    config's need not).
    """
    # What `from_dataset` was given (Python checks the constructor's keywords).
    refuse_unknown_parameters(parameters, field_names(config_class), subject=subject)
    dropped = dropped_keys(config_class, parameters, subject=subject)
    specs = dataset_feature_specs(parameters)
    if specs is not None:
        parameters = {key: value for key, value in parameters.items() if key not in _FEATURE_FIELDS}
    config = decode_config(config_class, converted_feature_fields(parameters), subject=subject)
    if specs is not None:
        apply_dataset_features(config, specs, subject=subject, check=False)
    note_dropped_keys(config, dropped, subject=subject)
    return config


_FEATURE_FIELDS = ("input_features", "output_features")


def apply_dataset_metadata(
    config: PreTrainedConfig,
    meta: LeRobotDatasetMetadata,
    *,
    subject: str,
    check: bool,
    rename_map: Mapping[str, str] | None = None,
) -> None:
    """What ``make_policy`` does to a config for a dataset (see ``apply_dataset_features``)."""
    apply_dataset_features(config, meta.features, subject=subject, check=check, rename_map=rename_map)
    # make_policy leaves the metadata on the config, where some processors (groot's) read it.
    setattr(config, "_runtime_dataset_meta", meta)  # noqa: B010  # not a declared field


def apply_dataset_features(
    config: PreTrainedConfig,
    dataset_features: Mapping[str, Mapping[str, Any]],
    *,
    subject: str,
    check: bool,
    rename_map: Mapping[str, str] | None = None,
) -> None:
    """``make_policy``'s changes to a config, from a dataset's feature specs.

    With ``check``, the features the user declared must exist in the dataset with its shapes (without
    it, the config's features are upstream placeholders: fastwam's ``__post_init__`` fills some in).
    ACTION features become the outputs and, when no inputs were declared, the rest the inputs. The
    dataset's keys are seen under the policy's names (``rename_map``), as its preprocessor renames them.
    """
    specs = {key: dict(spec) for key, spec in dataset_features.items()}
    renamed = renamed_specs(specs, rename_map or {})
    not_actions = sorted(
        key for key, ft in (config.output_features or {}).items() if ft.type is not FeatureType.ACTION
    )
    if not_actions:
        # make_policy replaces the outputs with the dataset's ACTION features: refuse, not replace, others.
        raise FeatureError(
            f"{subject}: output_features {not_actions} are not ACTION features; LeRobot policies predict the "
            "dataset's ACTION features only (declare them as inputs, or leave output_features to the dataset)"
        )
    if check:
        check_against_dataset(config, renamed, subject=subject)
    features = dataset_to_policy_features(renamed)
    config.output_features = {key: ft for key, ft in features.items() if ft.type is FeatureType.ACTION}
    if not config.input_features:
        config.input_features = {key: ft for key, ft in features.items() if key not in config.output_features}
    names = specs.get(ACTION, {}).get("names")
    if hasattr(config, "action_feature_names") and names is not None:
        setattr(config, "action_feature_names", list(names))  # noqa: B010  # declared by some configs only
    set_feature_metadata = getattr(config, "set_dataset_feature_metadata", None)
    if callable(set_feature_metadata):
        set_feature_metadata(specs)


def training_precision(config: PreTrainedConfig, device: torch.device) -> torch.dtype | None:
    """The autocast dtype ``lerobot_train`` trains ``config`` in, or None for full precision.

    ``lerobot_train.train`` sets accelerate's ``mixed_precision`` from the config's ``dtype``
    (bfloat16, float16; float32 is full precision) or, for configs without one, from ``use_amp``
    (torch.autocast's default for the device: bf16 on CPU, fp16 on CUDA).
    """
    if not LEROBOT_TRAIN_AUTOCASTS:  # lerobot<0.6 trains in full precision
        return None
    if hasattr(config, "dtype"):  # declared by some configs only
        return {"bfloat16": torch.bfloat16, "float16": torch.float16}.get(str(getattr(config, "dtype")))  # noqa: B009
    if getattr(config, "use_amp", False):
        return torch.get_autocast_dtype(device.type)
    return None


def outputs_to_fp32(output: Any) -> Any:
    """What accelerate's ``convert_outputs_to_fp32`` does to a mixed-precision forward's outputs."""
    if isinstance(output, torch.Tensor):
        return output.float() if output.dtype in (torch.float16, torch.bfloat16) else output
    if isinstance(output, tuple):
        return tuple(outputs_to_fp32(item) for item in output)
    if isinstance(output, list):
        return [outputs_to_fp32(item) for item in output]
    if isinstance(output, dict):
        return {key: outputs_to_fp32(value) for key, value in output.items()}
    return output


def build_policy(
    config: PreTrainedConfig,
    *,
    stats: TensorStats | None,
    meta: LeRobotDatasetMetadata | None,
    strict: bool,
    peft: PeftConfig | None,
    subject: str,
) -> PreTrainedPolicy:
    """A fresh native policy, or one loaded from ``config.pretrained_path`` (``strict``: no key mismatch),
    as ``make_policy`` builds it; then wrapped with new ``peft`` adapters, as ``lerobot_train`` does.

    The config's rules are checked again first: the dataset's features (cameras, the number of inputs,
    the feature types a user's normalization_mapping must cover) may be known only now."""
    check_peft(config, peft, subject=subject)
    check_constraints(config, subject=subject)
    check_dropped_keys(config, subject=subject)
    policy_kwargs: dict[str, Any] = {}
    if meta is not None:
        policy_kwargs["dataset_meta"] = meta
    if stats is not None:
        policy_kwargs["dataset_stats"] = stats
    policy_class = get_policy_class(config.type)
    policy_kwargs = _accepted_kwargs(policy_class, policy_kwargs)
    if is_adapter(config, peft):
        return load_adapter(policy_class, config, strict=strict, **policy_kwargs)
    if config.pretrained_path:
        policy = policy_class.from_pretrained(
            config.pretrained_path,
            config=config,
            revision=pretrained_revision(config),
            strict=strict,
            **policy_kwargs,
        )
    else:
        policy = policy_class(config=config, **policy_kwargs)
    return wrap_with_peft(policy, peft, subject=subject) if peft is not None else policy


def _accepted_kwargs(policy_class: type, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``kwargs`` the policy's constructor takes.

    ``make_policy`` passes ``dataset_stats``/``dataset_meta`` to every policy, which breaks the ones
    that take neither (GaussianActorPolicy); pass them only where they are accepted.
    """
    parameters = inspect.signature(policy_class).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return kwargs
    return {key: value for key, value in kwargs.items() if key in parameters}


def build_processors(
    config: PreTrainedConfig, stats: TensorStats | None, rename_map: Mapping[str, str]
) -> tuple[Preprocessor, Postprocessor]:
    """LeRobot's pre/post processors for ``config``: fresh, or the saved ones of a pretrained policy.

    For a pretrained policy this is what ``lerobot_train`` does: the saved pipelines, on this device,
    renaming observations with ``rename_map`` and normalising with ``stats`` when there are any (a new
    dataset's). A fresh pipeline's rename step gets ``rename_map`` too.
    """
    if not config.pretrained_path:
        preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=stats)
        if rename_map:
            preprocessor.steps = [
                RenameObservationsProcessorStep(rename_map=dict(rename_map))
                if isinstance(step, RenameObservationsProcessorStep)
                else step
                for step in preprocessor.steps
            ]
        return preprocessor, postprocessor
    pre: dict[str, Any] = {
        "device_processor": {"device": config.device},
        "rename_observations_processor": {"rename_map": dict(rename_map)},
    }
    post: dict[str, Any] = {}
    if stats is not None:
        features = declared_features(config)
        norm_map = getattr(config, "normalization_mapping", None)  # declared per policy
        pre["normalizer_processor"] = {"stats": stats, "features": features, "norm_map": norm_map}
        post["unnormalizer_processor"] = {
            "stats": stats,
            "features": config.output_features,
            "norm_map": norm_map,
        }
    if getattr(config, "use_relative_actions", False):
        pre[relative_actions_step()] = {
            "enabled": True,
            "exclude_joints": getattr(config, "relative_exclude_joints", []),
            "action_names": getattr(config, "action_feature_names", None),
        }
        post["absolute_actions_processor"] = {"enabled": True}
    return make_pre_post_processors(
        config,
        pretrained_path=str(config.pretrained_path),
        **processor_revision(pretrained_revision(config)),
        preprocessor_overrides=pre,
        postprocessor_overrides=post,
    )


def normaliser_stats(preprocessor: Preprocessor) -> TensorStats | None:
    """The statistics a loaded preprocessor normalises with, nested as LeRobot's ``dataset_stats``."""
    for step in preprocessor.steps:
        if isinstance(step, NormalizerProcessorStep):
            nested: TensorStats = {}
            for flat_key, tensor in step.state_dict().items():
                feature, statistic = flat_key.rsplit(".", 1)
                nested.setdefault(feature, {})[statistic] = tensor
            return nested or None
    return None


def move_preprocessor(preprocessor: Preprocessor, device: torch.device) -> None:
    """Point the preprocessor's device step at ``device`` (where Lightning moved the policy)."""
    steps = []
    for step in preprocessor.steps:
        if isinstance(step, DeviceProcessorStep):
            # getattr: LeRobot's registry decorator hides the dataclass fields from type checkers.
            step = DeviceProcessorStep(device=str(device), float_dtype=getattr(step, "float_dtype", None))
        steps.append(step)
    preprocessor.steps = steps
