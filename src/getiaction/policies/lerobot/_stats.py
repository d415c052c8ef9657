"""Statistics: what each normalised feature needs, checked before LeRobot's normaliser sees them.

Without statistics for a feature, LeRobot's normaliser passes it through unchanged and says nothing;
with NaN or misshapen ones it trains silently wrong or crashes deep in torch. The checks here name
the feature and statistic, what was expected and what was given.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import torch
from lerobot.configs.types import NormalizationMode, PolicyFeature
from torch import Tensor

from getiaction.errors import StatsError
from getiaction.policies.lerobot._features import declared_features

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


def _normalised_features(config: PreTrainedConfig) -> Iterator[tuple[str, PolicyFeature, NormalizationMode]]:
    """Each declared feature with the normalisation mode its type gets (IDENTITY where none is mapped)."""
    norm_map: Mapping[str, NormalizationMode] = getattr(config, "normalization_mapping", None) or {}
    for key, feature in declared_features(config).items():
        yield key, feature, NormalizationMode(norm_map.get(feature.type.value, NormalizationMode.IDENTITY))


def check_stats(config: PreTrainedConfig, stats: TensorStats | None, *, subject: str, complete: bool) -> None:
    """The statistics each normalised feature needs: present (when ``complete``), finite, broadcastable.

    Without statistics for a feature, LeRobot's normaliser passes it through unchanged and says nothing,
    so training and inference run on unnormalised values; a feature meant to stay raw says so with
    ``normalization_mapping`` (IDENTITY).
    """
    for key, feature, mode in _normalised_features(config):
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


def check_stats_fit_batch(
    batch: Mapping[str, Any],
    config: PreTrainedConfig,
    stats: TensorStats | None,
    rename_map: Mapping[str, str],
    *,
    subject: str,
) -> None:
    """Statistics that claim a feature does not vary (a ``std`` of 0, ``min == max``) while the first training
    batch varies there: normalising divides by LeRobot's epsilon (a loss of 5e6 instead of 8). A feature
    that truly is constant passes: its data equals the statistic."""
    if not stats:
        return
    dataset_key = {policy: dataset for dataset, policy in rename_map.items()}
    for key, feature, mode in _normalised_features(config):
        value = batch.get(dataset_key.get(key, key))
        given = stats.get(key, {})
        if feature.type.value == "VISUAL" or not isinstance(value, Tensor) or not value.is_floating_point():
            continue
        if mode is NormalizationMode.MEAN_STD and {"mean", "std"} <= set(given):
            flat, centre = given["std"], given["mean"]
        elif mode is NormalizationMode.MIN_MAX and {"min", "max"} <= set(given):
            flat, centre = given["max"] - given["min"], given["min"]
        else:
            continue
        constant = (flat.to(torch.float64) == 0).expand(tuple(feature.shape))
        if not bool(constant.any()):
            continue
        deviation = (value.to(torch.float64) - centre.to(torch.float64)).abs()
        varying = constant & (deviation.reshape(-1, *feature.shape).amax(dim=0) > 1e-6)
        if bool(varying.any()):
            statistic = "std is 0" if mode is NormalizationMode.MEAN_STD else "min equals max"
            raise StatsError(
                f"{subject}: stats[{key!r}] say the feature does not vary ({statistic} at indices "
                f"{varying.nonzero().flatten().tolist()}), but the first training batch varies there: the "
                "statistics do not describe this data (recompute them from the dataset, or give the feature "
                "IDENTITY in normalization_mapping)"
            )
