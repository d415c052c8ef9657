"""``LeRobotDataModule``: a LeRobot dataset served the way ``lerobot_train`` serves it."""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.datasets.factory import resolve_delta_timestamps
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from getiaction._lerobot.compat import (
    UINT8_FRAMES,
    EpisodeAwareSampler,
    ImageTransforms,
    ImageTransformsConfig,
    LeRobotDataset,
    LeRobotDatasetMetadata,
    absolute_to_relative_idx,
    has_language_columns,
    lerobot_collate_fn,
)
from getiaction._lerobot.datasets import open_metadata, training_stats
from getiaction.data._sharding import ShardedEpisodeSampler
from getiaction.errors import ConfigError, DatasetError

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

__all__ = ["LeRobotDataModule", "ShardedEpisodeSampler"]


class LeRobotDataModule(LightningDataModule):
    """A ``LeRobotDataset`` for training, validation and prediction with a getiaction policy.

    Nothing is opened at construction. In ``setup()`` the dataset is opened with the
    ``delta_timestamps`` the attached model's config asks for (its observation, action and reward
    delta indices at the dataset's fps, via LeRobot's ``resolve_delta_timestamps``), and training
    batches are drawn like ``lerobot_train`` draws them: an ``EpisodeAwareSampler`` shuffled from
    ``seed`` and the epoch, dropping the policy's ``drop_n_last_frames`` at each episode's end.

    Args:
        repo_id: Dataset repository id, e.g. ``lerobot/pusht``.
        root: Local dataset directory. Without it LeRobot looks in ``$HF_LEROBOT_HOME/repo_id`` and
            downloads from the hub when the dataset is not there.
        episodes: Episode indices to use; ``None`` uses every episode.
        eval_split: Share of episodes held out for validation, as LeRobot's ``dataset.eval_split``:
            the last ``ceil(n * eval_split)`` episodes of each task.
        val_episodes: Explicit validation episodes (instead of ``eval_split``).
        batch_size: Samples per batch.
        num_workers: DataLoader worker processes.
        seed: Seed of the training order (LeRobot's ``seed``); the order is a function of it and the epoch.
        use_imagenet_stats: Normalise camera images with ImageNet statistics, as ``lerobot_train`` does by
            default, instead of the dataset's own.
        image_transforms: LeRobot image augmentations for training batches (``enable: true`` to use).
        revision: Dataset revision on the hub.
        video_backend: Video decoder (``torchcodec`` or ``pyav``); ``None`` picks LeRobot's default.
        tolerance_s: Timestamp tolerance when gathering ``delta_timestamps`` frames.
        pin_memory: Pin host memory for faster copies to a GPU; ``None`` pins when CUDA is available.
    """

    def __init__(
        self,
        repo_id: str,
        root: str | Path | None = None,
        *,
        episodes: list[int] | None = None,
        eval_split: float = 0.0,
        val_episodes: list[int] | None = None,
        batch_size: int = 8,
        num_workers: int = 4,
        seed: int = 1000,
        use_imagenet_stats: bool = True,
        image_transforms: ImageTransformsConfig | None = None,
        revision: str | None = None,
        video_backend: str | None = None,
        tolerance_s: float = 1e-4,
        pin_memory: bool | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 <= eval_split < 1.0:
            raise ConfigError(f"LeRobotDataModule: eval_split must be in [0, 1), got {eval_split}")
        if eval_split and val_episodes is not None:
            raise ConfigError("LeRobotDataModule: give either eval_split or val_episodes, not both")
        if batch_size < 1:
            raise ConfigError(f"LeRobotDataModule: batch_size must be at least 1, got {batch_size}")
        self.repo_id = repo_id
        self.root = Path(root) if root is not None else None
        self.episodes = episodes
        self.eval_split = eval_split
        self.val_episodes = val_episodes
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.use_imagenet_stats = use_imagenet_stats
        self.image_transforms = image_transforms
        self.revision = revision
        self.video_backend = video_backend
        self.tolerance_s = tolerance_s
        self.pin_memory = torch.cuda.is_available() if pin_memory is None else pin_memory
        self.dataset_meta: LeRobotDatasetMetadata | None = None
        self.train_dataset: LeRobotDataset | None = None
        self.val_dataset: LeRobotDataset | None = None
        self._sampler: EpisodeAwareSampler | ShardedEpisodeSampler | None = None
        self._sampler_state: dict[str, int] | None = None
        self._drop_n_last_frames = 0

    # --- setup -------------------------------------------------------------------------------

    def setup(self, stage: str) -> None:
        if self.dataset_meta is not None:
            return
        config = self._model_config()
        meta = open_metadata(self.repo_id, root=self.root, revision=self.revision)
        meta.stats = training_stats(meta, self.use_imagenet_stats)
        self.dataset_meta = meta
        if self.video_backend is None and not meta.video_keys:
            # Nothing to decode; naming a backend skips LeRobot's probe of torchcodec, whose failure on
            # machines without FFmpeg prints a long, alarming and here irrelevant traceback.
            self.video_backend = "pyav"
        self._drop_n_last_frames = int(getattr(config, "drop_n_last_frames", 0))
        delta_timestamps = resolve_delta_timestamps(config, meta)
        train_episodes, val_episodes = self._split_episodes(meta)
        augment = (
            ImageTransforms(self.image_transforms)
            if self.image_transforms and self.image_transforms.enable
            else None
        )
        self.train_dataset = self._dataset(train_episodes, delta_timestamps, augment)
        self.val_dataset = self._dataset(val_episodes, delta_timestamps, None) if val_episodes else None

    def _model_config(self) -> PreTrainedConfig:
        model = self.trainer.lightning_module if self.trainer is not None else None
        config = getattr(model, "config", None)
        if not isinstance(config, PreTrainedConfig):
            raise ValueError(
                "LeRobotDataModule derives delta_timestamps from the model's LeRobot config: attach it to a "
                f"Trainer with a getiaction policy (got {type(model).__name__})."
            )
        return config

    def _split_episodes(self, meta: LeRobotDatasetMetadata) -> tuple[list[int], list[int]]:
        available = list(range(meta.total_episodes))
        base = available if self.episodes is None else list(self.episodes)
        unknown = sorted(set(base) - set(available))
        if unknown:
            raise DatasetError(
                f"episodes {unknown} are not in {self.repo_id} ({meta.total_episodes} episodes)"
            )
        if self.val_episodes is not None:
            held_out = list(self.val_episodes)
            bad = sorted(set(held_out) - set(available))
            if bad:
                raise DatasetError(
                    f"val_episodes {bad} are not in {self.repo_id} ({meta.total_episodes} episodes)"
                )
            train = [episode for episode in base if episode not in held_out]
        elif self.eval_split:
            # LeRobot's make_train_eval_datasets: the last ceil(n * split) episodes of every task.
            by_task: dict[str, list[int]] = {}
            tasks = _episode_table(meta)["tasks"]
            for episode in base:
                by_task.setdefault(tasks[episode][0] if tasks[episode] else "", []).append(episode)
            train, held_out = [], []
            for episodes in by_task.values():
                n_eval = math.ceil(len(episodes) * self.eval_split)
                train += episodes[: len(episodes) - n_eval]
                held_out += episodes[len(episodes) - n_eval :]
        else:
            train, held_out = base, []
        if not train:
            raise DatasetError(f"no training episodes left in {self.repo_id} after holding out {held_out}")
        return train, held_out

    def _dataset(
        self,
        episodes: list[int],
        delta_timestamps: dict[str, list[float]] | None,
        image_transforms: Callable[..., Any] | None,
    ) -> LeRobotDataset:
        return LeRobotDataset(
            self.repo_id,
            root=self.root,
            episodes=episodes,
            delta_timestamps=delta_timestamps,
            image_transforms=image_transforms,
            revision=self.revision,
            video_backend=self.video_backend,
            **UINT8_FRAMES,  # as lerobot_train; the policy module converts to floats in [0, 1]
            tolerance_s=self.tolerance_s,
        )

    # --- loaders ---------------------------------------------------------------------------------

    def train_dataloader(self) -> DataLoader[Any]:
        """Batches in ``lerobot_train``'s order: an episode-aware shuffle of ``seed`` and the epoch.

        With several processes (DDP), each rank takes whole batches of that one global order, dealt
        round-robin as accelerate deals them to ``lerobot-train``'s processes: rank r trains on global
        batches r, r + world_size, ... (the last round completed from the epoch's first samples).
        """
        dataset, meta = self._require(self.train_dataset, "train")
        episodes = _episode_table(meta)
        order = EpisodeAwareSampler(
            episodes["dataset_from_index"],
            episodes["dataset_to_index"],
            episode_indices_to_use=dataset.episodes,
            drop_n_last_frames=self._drop_n_last_frames,
            shuffle=True,
            seed=self.seed,
            absolute_to_relative_idx=absolute_to_relative_idx(dataset),
        )
        world_size, rank = (self.trainer.world_size, self.trainer.global_rank) if self.trainer else (1, 0)
        sampler: EpisodeAwareSampler | ShardedEpisodeSampler = (
            ShardedEpisodeSampler(order, dataset, self.batch_size, world_size, rank)
            if world_size > 1
            else order
        )
        if self._sampler_state is not None:  # resuming: continue the epoch where the checkpoint stopped
            epoch, start_batch = self._sampler_state["epoch"], self._sampler_state["start_batch"]
            if isinstance(sampler, ShardedEpisodeSampler):
                sampler.resume(epoch, start_batch)
            else:
                sampler.load_state_dict({"epoch": epoch, "start_index": start_batch * self.batch_size})
            self._sampler_state = None
        self._sampler = sampler
        return self._loader(dataset, sampler)

    def val_dataloader(self) -> DataLoader[Any]:
        if self.val_dataset is None:
            if self.trainer is not None and self.trainer.state.fn == "validate":
                self._no_held_out_episodes("validate")  # Trainer.validate would return [] without a word
            return []  # type: ignore[return-value]  # while fitting, Lightning skips validation on an empty list
        return self._loader(self.val_dataset, None)

    def test_dataloader(self) -> DataLoader[Any]:
        if self.dataset_meta is not None and self.val_dataset is None:
            self._no_held_out_episodes("test")
        dataset, _ = self._require(self.val_dataset, "test (the held-out validation episodes)")
        return self._loader(dataset, None)

    def _no_held_out_episodes(self, stage: str) -> None:
        raise DatasetError(
            f"LeRobotDataModule: {stage} runs on held-out episodes, and {self.repo_id} has none held out: give "
            "eval_split= (a share of episodes, e.g. 0.1) or val_episodes= (episode indices)"
        )

    def predict_dataloader(self) -> DataLoader[Any]:
        """Single-step observations of the held-out episodes (all episodes without a split), in order."""
        _, meta = self._require(self.train_dataset, "predict")
        train, held_out = self._split_episodes(meta)
        return self._loader(self._dataset(held_out or train, None, None), None)

    def _loader(
        self, dataset: LeRobotDataset, sampler: EpisodeAwareSampler | ShardedEpisodeSampler | None
    ) -> DataLoader[Any]:
        meta = self.dataset_meta
        assert meta is not None  # every caller got `dataset` from setup(), which sets it
        workers = self.num_workers > 0
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=sampler,
            shuffle=False,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            drop_last=False,
            collate_fn=lerobot_collate_fn if has_language_columns(meta) else None,
            persistent_workers=workers,
            prefetch_factor=2 if workers else None,
        )

    def _require(
        self, dataset: LeRobotDataset | None, what: str
    ) -> tuple[LeRobotDataset, LeRobotDatasetMetadata]:
        if dataset is None or self.dataset_meta is None:
            raise RuntimeError(f"LeRobotDataModule has no {what} dataset: call setup() (Trainer does) first")
        return dataset, self.dataset_meta

    # --- resume ------------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Where the training order stands, so a resumed run draws exactly the batches it would have.

        Counted from the batches Lightning has trained on (``processed``), not from the sampler, which
        the DataLoader has already read ahead of them.
        """
        if self._sampler is None or self.trainer is None:
            return {}
        progress = self.trainer.fit_loop.epoch_loop.batch_progress.current
        processed: int = progress.processed  # type: ignore[attr-defined]  # declared narrower than it is
        epoch = self.trainer.current_epoch
        if processed >= math.ceil(len(self._sampler) / self.batch_size):  # the epoch ended: start the next
            epoch, processed = epoch + 1, 0
        # In batches of this rank, the same number on every rank: positions are exact for any world size.
        return {"sampler": {"epoch": epoch, "start_batch": processed}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._sampler_state = state_dict.get("sampler")
        if self._sampler_state is not None and "start_batch" not in self._sampler_state:
            raise ValueError(
                "LeRobotDataModule: the checkpoint's sampler position predates getiaction's batch-counted "
                f"positions ({self._sampler_state}); resume from a checkpoint written by this version"
            )
        if self._sampler_state:
            # Lightning warns that a mid-epoch resume is unreliable unless the DataLoader itself is
            # stateful; this datamodule restores the sampler's position, so the resume is exact.
            warnings.filterwarnings(
                "ignore", message="You're resuming from a checkpoint that ended before the epoch"
            )


def _episode_table(meta: LeRobotDatasetMetadata) -> Any:
    if meta.episodes is None:
        raise DatasetError(f"{meta.repo_id} has no episode metadata (meta/episodes) to sample from")
    return meta.episodes
