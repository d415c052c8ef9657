"""Batches and observations: what a training batch or an environment observation carries, checked and
converted as LeRobot's data path delivers it, before LeRobot's preprocessor sees it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.utils.constants import ACTION
from torch import Tensor

from getiaction.errors import BatchError

if TYPE_CHECKING:
    from lerobot.configs.policies import PreTrainedConfig


def raw_features(
    config: PreTrainedConfig, rename_map: Mapping[str, str] | None, *, training: bool
) -> dict[str, PolicyFeature]:
    """The declared features under the names a raw batch carries them: the dataset's, before the
    preprocessor's rename step (``rename_map``: dataset key -> policy key) renames them."""
    declared: dict[str, PolicyFeature] = dict(config.input_features or {})
    if training:
        declared.update(config.output_features or {})
    dataset_key = {policy: dataset for dataset, policy in (rename_map or {}).items()}
    return {dataset_key.get(key, key): feature for key, feature in declared.items()}


def check_batch(
    batch: Mapping[str, Any],
    config: PreTrainedConfig,
    *,
    subject: str,
    training: bool,
    rename_map: Mapping[str, str] | None = None,
    history: bool = False,
) -> None:
    """A batch (``training``) or an observation carries every declared feature as LeRobot's data path
    delivers it: a tensor of the declared shape after up to two leading dimensions (batch, time), one
    batch size for all, at least one sample, a dtype LeRobot's dataset gives (camera frames uint8 or
    float), and, for observations, finite values. In training, the action (and observations with a
    history) carry the time dimension the config's delta indices ask for; ``history`` asks that of
    observations outside training too (``predict_action_chunk`` of policies that keep a history).

    Each would otherwise be broadcast, crash inside the model, or act on NaN without a word.
    """
    if not isinstance(batch, Mapping):
        raise BatchError(
            f"{subject}: expected a mapping of feature name -> tensor, got {type(batch).__name__}"
        )
    what = "batch" if training else "observation"
    wanted = raw_features(config, rename_map, training=training)
    # Policies with several cameras decide themselves about a missing one (pi0 pads it); none at all is
    # an error for every policy that declares cameras.
    some_camera = any(ft.type is FeatureType.VISUAL and key in batch for key, ft in wanted.items())
    sizes: dict[str, int] = {}
    for key, feature in wanted.items():
        if key not in batch:
            if feature.type is FeatureType.VISUAL and some_camera:
                continue
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
        _check_shape(key, value, feature, subject)
        _check_dtype(key, value, feature, subject)
        steps = _time_steps(config, key, feature, training=training, history=history)
        if steps is not None and (value.ndim != len(feature.shape) + 2 or value.shape[1] != steps):
            raise BatchError(
                f"{subject}: {key!r} has shape {tuple(value.shape)}; the config asks for {steps} time steps of "
                f"it: expected (batch, {steps}, {', '.join(map(str, feature.shape))}), as LeRobotDataset gives "
                "it with the policy's delta_timestamps"
            )
        sizes[key] = int(value.shape[0]) if value.ndim > len(feature.shape) else 1
        if not training and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise BatchError(f"{subject}: the observation's {key!r} holds NaN or infinite values")
    if any(size == 0 for size in sizes.values()):
        raise BatchError(f"{subject}: the {what} is empty (batch size 0: {sizes})")
    if len(set(sizes.values())) > 1:
        raise BatchError(f"{subject}: the {what}'s features disagree on the batch size: {sizes}")


def _check_shape(key: str, value: Tensor, feature: PolicyFeature, subject: str) -> None:
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


def _check_dtype(key: str, value: Tensor, feature: PolicyFeature, subject: str) -> None:
    """Camera frames are uint8 (0..255, scaled as lerobot_train scales them) or floats in [0, 1]: an
    integer frame of another dtype would reach the model unscaled."""
    if feature.type is FeatureType.VISUAL and not value.is_floating_point() and value.dtype != torch.uint8:
        raise BatchError(
            f"{subject}: camera {key!r} is {value.dtype}; frames are uint8 (0..255) or floats in [0, 1], "
            "as LeRobotDataset gives them"
        )


def _time_steps(
    config: PreTrainedConfig, key: str, feature: PolicyFeature, *, training: bool, history: bool
) -> int | None:
    """How many time steps a batch value of ``key`` carries, by the config's delta indices, or None."""
    if feature.type is FeatureType.ACTION:
        indices = config.action_delta_indices if training else None
    elif training or history:
        indices = config.observation_delta_indices
        if indices is not None and len(indices) < 2:
            return None  # a single step: policies take it with or without the time dimension
    else:
        return None
    return len(indices) if indices is not None else None


def as_model_inputs(
    batch: Mapping[str, Any], config: PreTrainedConfig, rename_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Values as LeRobot's dataset delivers them to ``lerobot_train``, for training and inference alike:
    uint8 camera frames as floats in [0, 1] (lerobot_train divides them by 255), other numbers as float32
    (float64 and integer states and actions would otherwise normalise in their own precision: an int64
    state came out 1e8 where the same values as floats give 9.3).
    """
    declared = raw_features(config, rename_map, training=True)
    if not any(_converted(batch.get(key)) for key in declared):
        return dict(batch)
    converted = dict(batch)
    for key, feature in declared.items():
        value = batch.get(key)
        if not _converted(value):
            continue
        assert isinstance(value, Tensor)
        if feature.type is FeatureType.VISUAL and value.dtype == torch.uint8:
            converted[key] = value.to(dtype=torch.float32) / 255.0
        elif feature.type is not FeatureType.VISUAL:
            converted[key] = value.to(dtype=torch.float32)
    return converted


def _converted(value: object) -> bool:
    return (
        isinstance(value, Tensor)
        and value.dtype != torch.float32
        and value.dtype != torch.bool
        and (value.dtype == torch.float64 or value.dtype == torch.uint8 or not value.is_floating_point())
    )


def batch_size(batch: Mapping[str, Any]) -> int:
    for key in (ACTION, *batch):
        value = batch.get(key)
        if isinstance(value, Tensor) and value.ndim > 0:
            return int(value.shape[0])
    return 1
