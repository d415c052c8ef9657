"""LeRobot names that moved between releases, reached from one place.

The hand-written runtime imports these from here instead of from LeRobot, so that a LeRobot release
which moved them needs one edit here, not a hunt through the runtime. Static typing follows the release
the wrappers are generated from (0.6); the fallbacks run on 0.5 and 0.4, for wrappers regenerated
against those (``python -m codegen``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from packaging.version import Version

from getiaction._lerobot.version import lerobot_version

if TYPE_CHECKING:
    from lerobot.datasets import EpisodeAwareSampler, LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.sampler import EpisodeAwareSampler as _UpstreamSampler
    from lerobot.processor.rename_processor import rename_stats
    from lerobot.transforms import ImageTransforms, ImageTransformsConfig
    from lerobot.utils.collate import lerobot_collate_fn
    from lerobot.utils.constants import IMAGENET_STATS
    from lerobot.utils.feature_utils import dataset_to_policy_features
else:
    try:  # 0.6
        from lerobot.utils.feature_utils import dataset_to_policy_features
    except ImportError:
        try:  # 0.5
            from lerobot.datasets.feature_utils import dataset_to_policy_features
        except ImportError:  # 0.4
            from lerobot.datasets.utils import dataset_to_policy_features
    try:  # 0.5, 0.6: exported by the package
        from lerobot.datasets import LeRobotDataset, LeRobotDatasetMetadata
    except ImportError:  # 0.4: from their module only
        from lerobot.datasets.lerobot_dataset import LeRobotDataset, LeRobotDatasetMetadata
    try:  # 0.6
        from lerobot.transforms import ImageTransforms, ImageTransformsConfig
    except ImportError:  # 0.4, 0.5
        from lerobot.datasets.transforms import ImageTransforms, ImageTransformsConfig
    try:  # 0.6
        from lerobot.utils.constants import IMAGENET_STATS
    except ImportError:  # 0.4, 0.5
        from lerobot.datasets.factory import IMAGENET_STATS
    try:  # 0.6: batches with language columns need LeRobot's collate
        from lerobot.utils.collate import lerobot_collate_fn
    except ImportError:  # 0.4, 0.5: datasets have no language columns (see has_language_columns)
        lerobot_collate_fn = None
    from lerobot.datasets.sampler import EpisodeAwareSampler  # the module path of 0.4 to 0.6

    # Exported by lerobot.processor from 0.6 only; its module is the same in 0.5 and 0.6.
    from lerobot.processor.rename_processor import rename_stats

    _UpstreamSampler = EpisodeAwareSampler

__all__ = [
    "IMAGENET_STATS",
    "LEROBOT_TRAIN_AUTOCASTS",
    "UINT8_FRAMES",
    "EpisodeAwareSampler",
    "ImageTransforms",
    "ImageTransformsConfig",
    "LeRobotDataset",
    "LeRobotDatasetMetadata",
    "absolute_to_relative_idx",
    "dataset_to_policy_features",
    "depth_keys",
    "has_language_columns",
    "lerobot_collate_fn",
    "pretrained_revision",
    "processor_revision",
    "relative_actions_step",
    "rename_stats",
]

# lerobot_train autocasts from the policy's `dtype`/`use_amp` from 0.6 on; before, it trained in full
# precision unless accelerate itself was launched with --mixed_precision.
LEROBOT_TRAIN_AUTOCASTS = Version(lerobot_version()) >= Version("0.6")


def _takes(function: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(function).parameters


# --- datasets -------------------------------------------------------------------------------------

# Camera frames as uint8, as lerobot_train asks for them (0.6). Before, datasets gave floats in [0, 1]
# only, and lerobot_train trained on those: the policy module handles both.
UINT8_FRAMES: dict[str, Any] = (
    {"return_uint8": True} if _takes(LeRobotDataset.__init__, "return_uint8") else {}
)


def depth_keys(meta: LeRobotDatasetMetadata) -> list[str]:
    """``meta.depth_keys`` (0.6); earlier releases have no depth features."""
    return list(getattr(meta, "depth_keys", ()))


def has_language_columns(meta: LeRobotDatasetMetadata) -> bool:
    """``meta.has_language_columns`` (0.6); earlier releases have no language columns."""
    return bool(getattr(meta, "has_language_columns", False))


def absolute_to_relative_idx(dataset: LeRobotDataset) -> dict[int, int] | None:
    """Absolute frame index -> row of an episode-filtered dataset (None: the same).

    A property from 0.6; 0.5 keeps it on the dataset's reader, 0.4 on the dataset itself.
    """
    if hasattr(type(dataset), "absolute_to_relative_idx"):
        return dataset.absolute_to_relative_idx
    holder = getattr(dataset, "reader", None) or dataset
    mapping: dict[int, int] | None = getattr(holder, "_absolute_to_relative_idx", None)
    return mapping


class _SeededEpisodeAwareSampler(torch.utils.data.Sampler[int]):
    """0.6's ``EpisodeAwareSampler`` on 0.4/0.5, whose own sampler draws from the global RNG and has no
    ``seed``, epochs (``set_epoch``), resume (``state_dict``) or ``absolute_to_relative_idx``.

    The frames are the old sampler's; the order is 0.6's, a ``randperm`` seeded from ``(seed, epoch)``,
    so that every rank draws the same order and a resumed run continues it.
    """

    def __init__(
        self,
        dataset_from_indices: list[int],
        dataset_to_indices: list[int],
        episode_indices_to_use: list[int] | None = None,
        drop_n_first_frames: int = 0,
        drop_n_last_frames: int = 0,
        shuffle: bool = False,
        seed: int = 0,
        absolute_to_relative_idx: dict[int, int] | None = None,
    ) -> None:
        frames = _UpstreamSampler(
            dataset_from_indices,
            dataset_to_indices,
            episode_indices_to_use,
            drop_n_first_frames,
            drop_n_last_frames,
        ).indices
        mapping = absolute_to_relative_idx
        self._frames = [mapping[index] for index in frames] if mapping is not None else frames
        self.shuffle, self.seed = shuffle, seed
        self._epoch, self._start_index = 0, 0

    def set_epoch(self, epoch: int) -> None:
        self._epoch = epoch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self._epoch, "start_index": self._start_index}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self._epoch, self._start_index = state["epoch"], state["start_index"]

    def __iter__(self) -> Iterator[int]:
        epoch, start = self._epoch, self._start_index
        self._epoch, self._start_index = epoch + 1, 0
        positions: list[int] = list(range(len(self._frames)))
        if self.shuffle:
            seed = int(np.random.SeedSequence([self.seed, epoch]).generate_state(1, dtype=np.uint64)[0])
            positions = torch.randperm(
                len(self._frames), generator=torch.Generator().manual_seed(seed)
            ).tolist()
        return iter([self._frames[position] for position in positions[start:]])

    def __len__(self) -> int:
        return len(self._frames)


if not TYPE_CHECKING and not _takes(_UpstreamSampler.__init__, "seed"):  # 0.4, 0.5
    EpisodeAwareSampler = _SeededEpisodeAwareSampler


# --- policies and processors ------------------------------------------------------------------------


def pretrained_revision(config: object) -> str | None:
    """``config.pretrained_revision``: a config field from 0.6; earlier configs have none (unless
    ``from_pretrained`` set the attribute)."""
    revision: str | None = getattr(config, "pretrained_revision", None)
    return revision


def processor_revision(revision: str | None) -> dict[str, Any]:
    """``make_pre_post_processors``' ``pretrained_revision`` keyword, where it has one (0.6).

    Earlier releases take ``**kwargs`` and drop it without a word: the processors would load from the
    hub's default branch while the weights load from ``revision``. Refuse that mix.
    """
    from lerobot.policies.factory import make_pre_post_processors

    if _takes(make_pre_post_processors, "pretrained_revision"):
        return {"pretrained_revision": revision}
    if revision is not None:
        raise NotImplementedError(
            f"lerobot {lerobot_version()} loads a pretrained policy's processors from "
            f"the hub's default revision only: drop revision={revision!r}, or install lerobot>=0.6"
        )
    return {}


def relative_actions_step() -> str:
    """The registry name (the override key) of ``RelativeActionsProcessorStep``: renamed in 0.6 from
    0.5's ``delta_actions_processor``."""
    from lerobot.processor import ProcessorStepRegistry

    registered = ProcessorStepRegistry.list()
    return (
        "relative_actions_processor"
        if "relative_actions_processor" in registered
        else "delta_actions_processor"
    )
