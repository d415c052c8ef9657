"""Features and statistics: what the user declares, what the dataset holds, what batches carry.

LeRobot trusts all three to agree and, when they do not, crashes deep inside torch or trains silently
wrong (a state declared (3,) against data of (2,); statistics without the action; a (B, 1) state
broadcast against a (2,) feature). The checks here meet those facts where they first meet each other
and name the feature, what was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import torch
from lerobot.configs.types import FeatureType, NormalizationMode, PolicyFeature
from lerobot.utils.constants import ACTION
from torch import Tensor

from getiaction._lerobot.compat import dataset_to_policy_features
from getiaction.errors import BatchError, FeatureError, StatsError

if TYPE_CHECKING:
    from lerobot.configs.policies import PreTrainedConfig

Stats: TypeAlias = Mapping[str, Mapping[str, Any]]
"""Dataset statistics as LeRobot's ``dataset_stats``: feature -> statistic -> array-like values."""

TensorStats: TypeAlias = dict[str, dict[str, Tensor]]

# The statistics each normalisation mode reads (LeRobot's NormalizerProcessorStep).
REQUIRED_STATISTICS: Mapping[NormalizationMode, tuple[str, ...]] = {
    NormalizationMode.MEAN_STD: ("mean", "std"),
    NormalizationMode.MIN_MAX: ("min", "max"),
    NormalizationMode.QUANTILES: ("q01", "q99"),
    NormalizationMode.QUANTILE10: ("q10", "q90"),
}


# --- what the user declares ------------------------------------------------------------------------


def converted_feature_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The feature fields as LeRobot's config takes them: specs converted, a shared mapping split.

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
    if inputs and outputs and (inputs is outputs or inputs == outputs):
        fields["output_features"] = {k: f for k, f in outputs.items() if _type_of(f) == FeatureType.ACTION}
        fields["input_features"] = {k: f for k, f in inputs.items() if k not in fields["output_features"]}
    return fields


def dataset_feature_specs(fields: Mapping[str, Any]) -> dict[str, Any] | None:
    """A dataset's feature specs (``meta.features``: with ``dtype`` and ``names``) given for both
    directions, or None when the features were given any other way."""
    inputs, outputs = fields.get("input_features"), fields.get("output_features")
    if not (isinstance(inputs, Mapping) and inputs and (inputs is outputs or inputs == outputs)):
        return None
    if not all(isinstance(spec, Mapping) and "dtype" in spec for spec in inputs.values()):
        return None
    return dict(inputs)


def _type_of(feature: Any) -> Any:
    if isinstance(feature, PolicyFeature):
        return feature.type
    if isinstance(feature, Mapping):
        try:
            return FeatureType(feature.get("type"))
        except ValueError:
            return None
    return None


def check_declared_features(config: PreTrainedConfig, *, subject: str) -> None:
    """The features a policy can be built from: inputs, exactly the ACTION outputs, positive sizes."""
    inputs, outputs = config.input_features or {}, config.output_features or {}
    if inputs and not outputs:
        raise FeatureError(
            f"{subject}: output_features must hold the ACTION feature the policy predicts, but none of the "
            f"features given is an ACTION: {_describe(inputs)}"
        )
    if not inputs or not outputs:
        raise FeatureError(
            f"{subject}: cannot build the policy without both input and output features (got inputs "
            f"{sorted(inputs)}, outputs {sorted(outputs)}); pass both, or build from a dataset "
            "(from_dataset, or fit with a LeRobotDataModule)"
        )
    if not any(feature.type is FeatureType.ACTION for feature in outputs.values()):
        raise FeatureError(
            f"{subject}: output_features must hold the ACTION feature the policy predicts, got "
            f"{_describe(outputs)}"
        )
    for key, feature in outputs.items():
        if feature.type is not FeatureType.ACTION:
            raise FeatureError(
                f"{subject}: output feature {key!r} has type {feature.type.name}; LeRobot policies predict "
                f"ACTION features only (declare {key!r} as an input, or drop it)"
            )
    for key, feature in inputs.items():
        if feature.type is FeatureType.ACTION:
            raise FeatureError(f"{subject}: input feature {key!r} has type ACTION; actions are outputs")
    for key, feature in {**inputs, **outputs}.items():
        if not feature.shape or not all(isinstance(size, int) and size >= 1 for size in feature.shape):
            raise FeatureError(
                f"{subject}: feature {key!r} needs a shape of positive sizes, got {tuple(feature.shape)}"
            )
        if feature.type is FeatureType.VISUAL and len(feature.shape) != 3:
            raise FeatureError(
                f"{subject}: camera {key!r} needs a (channels, height, width) shape, got {tuple(feature.shape)}"
            )


def check_against_dataset(
    config: PreTrainedConfig, dataset_features: Mapping[str, Mapping[str, Any]], *, subject: str
) -> None:
    """Every declared feature exists in the dataset with the shape its frames have.

    Cameras follow LeRobot's own rule (``validate_visual_features_consistency``): the declared cameras
    and the dataset's may differ as long as one set contains the other.
    """
    available = dataset_to_policy_features({key: dict(spec) for key, spec in dataset_features.items()})
    declared = {**(config.input_features or {}), **(config.output_features or {})}
    declared_cameras = {key for key, ft in declared.items() if ft.type is FeatureType.VISUAL}
    dataset_cameras = {key for key, ft in available.items() if ft.type is FeatureType.VISUAL}
    cameras_may_differ = declared_cameras <= dataset_cameras or dataset_cameras <= declared_cameras
    for key, feature in declared.items():
        if key not in available and (feature.type is FeatureType.VISUAL and cameras_may_differ):
            continue
        if key not in available:
            raise FeatureError(
                f"{subject}: feature {key!r} is declared but the dataset has no such feature; it has "
                f"{sorted(available)}"
            )
        expected = tuple(available[key].shape)
        if tuple(feature.shape) != expected:
            raise FeatureError(
                f"{subject}: feature {key!r} is declared with shape {tuple(feature.shape)}, but the dataset's "
                f"frames have shape {expected}"
                + (" (cameras are channels-first)" if feature.type is FeatureType.VISUAL else "")
            )


def _describe(features: Mapping[str, PolicyFeature]) -> str:
    return ", ".join(f"{key} ({feature.type.name})" for key, feature in features.items()) or "nothing"


# --- statistics ----------------------------------------------------------------------------------------


def tensor_stats(stats: Stats | None, *, subject: str) -> TensorStats | None:
    """Statistics as CPU tensors (what checkpoints hold with ``weights_only=True``)."""
    if stats is None:
        return None
    if not isinstance(stats, Mapping):
        raise StatsError(
            f"{subject}: stats must map feature -> statistic -> values, got {type(stats).__name__}"
        )
    converted: TensorStats = {}
    for feature, values in stats.items():
        if not isinstance(values, Mapping):
            raise StatsError(
                f"{subject}: stats[{feature!r}] must map statistic names to values, got {type(values).__name__}"
            )
        converted[str(feature)] = {}
        for name, value in values.items():
            try:
                converted[str(feature)][str(name)] = torch.as_tensor(np.asarray(value))
            except (TypeError, ValueError) as error:
                raise StatsError(
                    f"{subject}: stats[{feature!r}][{name!r}] is not numeric ({type(value).__name__})"
                ) from error
    return converted


def check_stats(config: PreTrainedConfig, stats: TensorStats | None, *, subject: str, complete: bool) -> None:
    """The statistics each normalised feature needs: present (when ``complete``), finite, broadcastable.

    Without statistics for a feature, LeRobot's normaliser passes it through unchanged and says nothing,
    so training and inference run on unnormalised values; a feature meant to stay raw says so with
    ``normalization_mapping`` (IDENTITY).
    """
    norm_map: Mapping[str, NormalizationMode] = getattr(config, "normalization_mapping", None) or {}
    for key, feature in {**(config.input_features or {}), **(config.output_features or {})}.items():
        mode = NormalizationMode(norm_map.get(feature.type.value, NormalizationMode.IDENTITY))
        needed = REQUIRED_STATISTICS.get(mode, ())
        if not needed:
            continue
        given = (stats or {}).get(key)
        if given is None:
            if not complete:
                continue
            source = "no statistics were given" if stats is None else f"stats has only {sorted(stats)}"
            raise StatsError(
                f"{subject}: feature {key!r} is normalised with {mode.value} (normalization_mapping"
                f"[{feature.type.value!r}]), but {source}. Pass stats=dataset.meta.stats (or fit with a "
                f"LeRobotDataModule), or set normalization_mapping[{feature.type.value!r}] to IDENTITY"
            )
        for name in needed:
            if name not in given:
                raise StatsError(
                    f"{subject}: {mode.value} normalisation of {key!r} needs statistics {list(needed)}, "
                    f"got {sorted(given)}"
                )
            value = given[name].to(torch.float64)
            if not torch.isfinite(value).all():
                raise StatsError(f"{subject}: stats[{key!r}][{name!r}] holds NaN or infinite values: {value}")
            if not _broadcasts_to(tuple(value.shape), tuple(feature.shape)):
                raise StatsError(
                    f"{subject}: stats[{key!r}][{name!r}] has shape {tuple(value.shape)}, which does not fit "
                    f"the feature's shape {tuple(feature.shape)}"
                )


def _broadcasts_to(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """Whether a statistic of ``shape`` broadcasts against a value of ``target`` without changing it."""
    if len(shape) > len(target):
        return False
    return all(size in (1, wanted) for size, wanted in zip(reversed(shape), reversed(target), strict=False))


# --- batches and observations ------------------------------------------------------------------


def check_batch(batch: Mapping[str, Any], config: PreTrainedConfig, *, subject: str, training: bool) -> None:
    """A batch (``training``) or an observation carries every declared feature with its declared shape.

    Values may have up to two leading dimensions (batch, time) before the feature's own shape; a value
    whose trailing dimensions differ would otherwise be broadcast or crash inside the model.
    """
    if not isinstance(batch, Mapping):
        raise BatchError(
            f"{subject}: expected a mapping of feature name -> tensor, got {type(batch).__name__}"
        )
    wanted: dict[str, PolicyFeature] = dict(config.input_features or {})
    if training:
        wanted.update(config.output_features or {})
    # Policies with several cameras decide themselves about a missing one (pi0 pads it); none at all is
    # an error for every policy that declares cameras.
    some_camera = any(ft.type is FeatureType.VISUAL and key in batch for key, ft in wanted.items())
    for key, feature in wanted.items():
        if key not in batch:
            if feature.type is FeatureType.VISUAL and some_camera:
                continue
            what = "batch" if training else "observation"
            raise BatchError(
                f"{subject}: the {what} has no {key!r} ({feature.type.name}, shape {tuple(feature.shape)}); "
                f"it has {sorted(batch)}"
            )
        value = batch[key]
        if not isinstance(value, Tensor):
            raise BatchError(
                f"{subject}: {key!r} must be a torch.Tensor of shape (..., {', '.join(map(str, feature.shape))}), "
                f"got {type(value).__name__}"
            )
        shape = tuple(feature.shape)
        trailing = tuple(value.shape[value.ndim - len(shape) :]) if value.ndim >= len(shape) else None
        if feature.type is FeatureType.VISUAL and trailing is not None:
            # Policies resize frames themselves (fastwam declares its own image size): the channels and
            # the channels-first layout must match, the height and width need not.
            fits = trailing[0] == shape[0]
        else:
            fits = trailing == shape
        if not fits or value.ndim > len(shape) + 2:
            raise BatchError(
                f"{subject}: {key!r} has shape {tuple(value.shape)}; expected (batch, [time,] "
                f"{', '.join(map(str, shape))}) for the declared feature shape {shape}"
            )


def as_model_inputs(batch: Mapping[str, Any], config: PreTrainedConfig) -> dict[str, Any]:
    """Camera frames as floats in [0, 1] and float64 values as float32, for training and inference alike.

    ``lerobot_train`` divides uint8 camera frames by 255 before its preprocessor, and datasets give
    float32; doing the same for observations makes the same input give the same action either way.
    """
    declared = {**(config.input_features or {}), **(config.output_features or {})}
    if not any(isinstance(batch.get(key), Tensor) and batch[key].dtype in _CONVERTED for key in declared):
        return dict(batch)
    converted = dict(batch)
    for key, feature in declared.items():
        value = batch.get(key)
        if not isinstance(value, Tensor):
            continue
        if feature.type is FeatureType.VISUAL and value.dtype == torch.uint8:
            converted[key] = value.to(dtype=torch.float32) / 255.0
        elif value.dtype == torch.float64:
            converted[key] = value.to(dtype=torch.float32)
    return converted


_CONVERTED = (torch.uint8, torch.float64)


def batch_size(batch: Mapping[str, Any]) -> int:
    for key in (ACTION, *batch):
        value = batch.get(key)
        if isinstance(value, Tensor) and value.ndim > 0:
            return int(value.shape[0])
    return 1
