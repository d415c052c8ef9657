"""A dataset's metadata and the statistics ``lerobot-train`` normalises with, for policies and the DataModule."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from getiaction._lerobot.compat import IMAGENET_STATS, LeRobotDataset, LeRobotDatasetMetadata, depth_keys
from getiaction.errors import DatasetError

# Where a LeRobot dataset (v2 and v3 layouts alike) keeps its description, relative to its root.
INFO_PATH = "meta/info.json"


def open_metadata(
    repo_id: str, *, root: str | Path | None = None, revision: str | None = None
) -> LeRobotDatasetMetadata:
    """A dataset's metadata, read from ``root`` when given: a ``root`` without a LeRobot dataset is an
    error naming it (LeRobot would go on to the hub and, offline, suggest unsetting HF_HUB_OFFLINE)."""
    if root is not None and not (Path(root) / INFO_PATH).is_file():
        what = "does not exist" if not Path(root).exists() else f"holds no LeRobot dataset (no {INFO_PATH})"
        raise DatasetError(
            f"root={str(root)!r} for {repo_id}: {what}; give the directory the dataset was saved to"
        )
    return LeRobotDatasetMetadata(repo_id, root=root, revision=revision)


def dataset_metadata(
    dataset: LeRobotDataset | LeRobotDatasetMetadata | str,
    *,
    root: str | Path | None = None,
    revision: str | None = None,
) -> LeRobotDatasetMetadata:
    """The metadata of a dataset given as a ``LeRobotDataset``, its metadata, or a repo id."""
    if isinstance(dataset, LeRobotDatasetMetadata):
        return dataset
    if isinstance(dataset, LeRobotDataset):
        return dataset.meta
    if isinstance(dataset, str):
        return open_metadata(dataset, root=root, revision=revision)
    raise TypeError(
        f"expected a LeRobotDataset, LeRobotDatasetMetadata or repo id, got {type(dataset).__name__}"
    )


def training_stats(
    meta: LeRobotDatasetMetadata, use_imagenet_stats: bool
) -> dict[str, dict[str, Any]] | None:
    """The dataset's statistics as ``lerobot_train`` normalises with them: with ``use_imagenet_stats``,
    cameras (not depth maps) take ImageNet's mean and std. A new mapping; ``meta`` is not changed."""
    if meta.stats is None:
        return None
    stats: dict[str, dict[str, Any]] = {key: dict(values) for key, values in meta.stats.items()}
    if use_imagenet_stats:
        for key in meta.camera_keys:
            if key in depth_keys(meta) or key not in stats:
                continue
            for name, values in IMAGENET_STATS.items():
                stats[key][name] = torch.tensor(values, dtype=torch.float32)
    return stats
