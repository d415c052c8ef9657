"""What the bench runs, on each side: native LeRobot and the wrapper, on the same batches and observation.

``Workload`` records a dataset and draws the batches and the observation once; ``Native`` and ``Wrapper``
each build their side from it (the same seed, so the same weights) and run training steps or
``select_action`` calls, returning the time of each. Before each step or call they call ``mark(index)``,
where a caller resets a peak-memory meter once warm-up is over.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from peak_memory import Mark, no_mark

REPO_ID = "local/bench"
BATCH_SIZE = 8
# ACT's defaults (ResNet18, dim 512, chunks of 100), without downloading the backbone's weights.
REALISTIC: dict[str, Any] = {"pretrained_backbone_weights": None}
REALISTIC_IMAGE_SIZE = 96


def timing_trainer(count: int, device: str, clock: Any) -> Any:
    """A ``lightning.Trainer`` of ``count`` steps that only trains: ``clock`` (a callback) times each step."""
    import lightning

    return lightning.Trainer(
        max_steps=count,
        accelerator="cpu" if device == "cpu" else "gpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[clock],
    )


def make_dataset(root: Path, image_size: int) -> Path:
    import numpy as np
    from lerobot.datasets import LeRobotDataset

    features = {
        "observation.image": {
            "dtype": "image",
            "shape": (image_size, image_size, 3),
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
        "action": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    }
    rng = np.random.default_rng(0)
    dataset = LeRobotDataset.create(REPO_ID, fps=10, features=features, root=root, use_videos=False)
    for _ in range(2):
        for _ in range(40):
            dataset.add_frame(
                {
                    "observation.image": rng.integers(
                        0, 256, size=(image_size, image_size, 3), dtype=np.uint8
                    ),
                    "observation.state": rng.normal(size=2).astype(np.float32),
                    "action": rng.normal(size=2).astype(np.float32),
                    "task": "bench",
                }
            )
        dataset.save_episode()
    dataset.finalize()
    return root


class Workload:
    """The dataset's metadata, ACT's config at ``sizes`` on ``device``, the batches and one observation."""

    def __init__(self, root: Path, sizes: dict[str, Any], device: str) -> None:
        import torch
        from lerobot.datasets import LeRobotDataset, LeRobotDatasetMetadata
        from lerobot.datasets.factory import resolve_delta_timestamps
        from lerobot.policies.factory import make_policy_config

        self.device = device
        self.sizes = {**sizes, "device": device}
        self.meta = LeRobotDatasetMetadata(REPO_ID, root=root)
        self.config = make_policy_config("act", **self.sizes)
        dataset = LeRobotDataset(
            REPO_ID, root=root, delta_timestamps=resolve_delta_timestamps(self.config, self.meta)
        )
        loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False, drop_last=True)
        self.batches: list[dict[str, Any]] = list(loader)
        for batch in self.batches:  # as lerobot_train hands them to the preprocessor
            batch["observation.image"] = batch["observation.image"].float()
        frame = LeRobotDataset(REPO_ID, root=root)[0]
        self.observation = {key: frame[key] for key in ("observation.state", "observation.image")}

    def batch(self, step: int) -> dict[str, Any]:
        return self.batches[step % len(self.batches)]


class Native:
    """``make_policy``, its processors and preset optimizer, trained by ``lerobot_train.update_policy``."""

    def __init__(self, work: Workload) -> None:
        import torch
        from accelerate import Accelerator
        from lerobot.policies.factory import make_policy, make_pre_post_processors
        from lerobot.utils.logging_utils import AverageMeter, MetricsTracker

        self.work = work
        torch.manual_seed(0)
        native = make_policy(work.config, ds_meta=work.meta)
        self.preprocessor, self.postprocessor = make_pre_post_processors(
            work.config, dataset_stats=work.meta.stats
        )
        self.preset = work.config.get_optimizer_preset()
        optimizer = self.preset.build(native.get_optim_params())
        self.accelerator = Accelerator(cpu=work.device == "cpu", step_scheduler_with_optimizer=False)
        self.policy, self.optimizer = self.accelerator.prepare(native, optimizer)
        meters = {
            name: AverageMeter(name) for name in ("loss", "grad_norm", "lr", "update_s", "dataloading_s")
        }
        self.tracker = MetricsTracker(
            BATCH_SIZE, work.meta.total_frames, work.meta.total_episodes, meters, accelerator=self.accelerator
        )

    def steps(self, count: int, mark: Mark = no_mark) -> list[float]:
        """LeRobot's preprocessor, then ``update_policy``: forward, backward, clipping, optimizer."""
        from lerobot.scripts.lerobot_train import update_policy

        times = []
        self.policy.train()
        for step in range(count):
            batch = copy.copy(self.work.batch(step))
            mark(step)
            started = time.perf_counter()
            self.tracker, _ = update_policy(
                self.tracker,
                self.policy,
                self.preprocessor(batch),
                self.optimizer,
                self.preset.grad_clip_norm,
                accelerator=self.accelerator,
            )
            times.append(time.perf_counter() - started)
        return times

    def actions(self, count: int, every_call_runs_the_model: bool, mark: Mark = no_mark) -> list[float]:
        """Preprocessor, ``select_action``, postprocessor (``reset()`` first where the model is to run)."""
        import torch

        policy = self.accelerator.unwrap_model(self.policy)
        policy.eval()
        policy.reset()
        times = []
        with torch.no_grad():
            for call in range(count):
                if every_call_runs_the_model:
                    policy.reset()
                mark(call)
                started = time.perf_counter()
                self.postprocessor(policy.select_action(self.preprocessor(dict(self.work.observation))))
                times.append(time.perf_counter() - started)
        return times


class Wrapper:
    """getiaction's ``ACT`` from the same features, statistics and seed, trained by ``lightning.Trainer``."""

    def __init__(self, work: Workload) -> None:
        import torch
        from lerobot.utils.feature_utils import dataset_to_policy_features

        from getiaction.policies.lerobot import ACT

        self.work = work
        features = dataset_to_policy_features(work.meta.features)
        torch.manual_seed(0)
        self.policy = ACT(
            input_features=features, output_features=features, stats=work.meta.stats, **work.sizes
        )

    def steps(self, count: int, mark: Mark = no_mark) -> list[float]:
        """One ``Trainer.fit`` of ``count`` steps, each timed from ``on_train_batch_start`` to its end.

        That is the wrapper's checks, preprocessing, forward, backward, clipping, optimizer and logging.
        """
        import lightning
        import torch

        times: list[float] = []

        class Clock(lightning.Callback):
            def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
                mark(batch_idx)
                self.started = time.perf_counter()

            def on_train_batch_end(self, *args: Any) -> None:
                times.append(time.perf_counter() - self.started)

        loader = torch.utils.data.DataLoader(
            [self.work.batch(step) for step in range(count)], batch_size=None, collate_fn=lambda batch: batch
        )
        timing_trainer(count, self.work.device, Clock()).fit(self.policy, train_dataloaders=loader)
        return times

    def actions(self, count: int, every_call_runs_the_model: bool, mark: Mark = no_mark) -> list[float]:
        """The wrapper's ``select_action``: raw observation in, unnormalised action out."""
        self.policy.to(self.work.device)  # Lightning hands the module back on the CPU after fit
        self.policy.eval()
        self.policy.reset()
        times = []
        for call in range(count):
            if every_call_runs_the_model:
                self.policy.reset()
            mark(call)
            started = time.perf_counter()
            self.policy.select_action(dict(self.work.observation))
            times.append(time.perf_counter() - started)
        return times
