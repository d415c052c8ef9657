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
) -> None:
    """A batch (``training``) or an observation carries every declared feature with its declared shape.

    Values may have up to two leading dimensions (batch, time) before the feature's own shape; a value
    whose trailing dimensions differ would otherwise be broadcast or crash inside the model.
    """
    if not isinstance(batch, Mapping):
        raise BatchError(
            f"{subject}: expected a mapping of feature name -> tensor, got {type(batch).__name__}"
        )
    wanted = raw_features(config, rename_map, training=training)
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


def as_model_inputs(
    batch: Mapping[str, Any], config: PreTrainedConfig, rename_map: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Camera frames as floats in [0, 1] and float64 values as float32, for training and inference alike.

    ``lerobot_train`` divides uint8 camera frames by 255 before its preprocessor, and datasets give
    float32; doing the same for observations makes the same input give the same action either way.
    """
    declared = raw_features(config, rename_map, training=True)
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
