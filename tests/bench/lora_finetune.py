"""The bench's GPU case: one bf16 LoRA fine-tune step of pi05 at LeRobot's own sizes, wrapper against native.

The base is pi05 as LeRobot hard-codes it (PaliGemma: gemma_2b with SigLIP So400m at 224x224, and a
gemma_300m action expert), random weights, built by ``make_policy`` and saved with ``save_pretrained``
(policy and processors). Nothing comes from the hub: PaliGemma's tokenizer is a stand-in in a temp hub
cache (a byte tokenizer: its ids lie in the vocabulary, prompts pad to ``tokenizer_max_length``).
``dtype="bfloat16"`` is LeRobot's own bf16 route (PaliGemma's weights in bf16, its vision path in float32,
accelerate's bf16 autocast), which the wrapper follows. LoRA: pi05's default targets, r=16.

- native: ``lerobot_train_recipe.finetune_policy``, the optimizer and scheduler presets, accelerate with
  lerobot_train's mixed precision, then ``lerobot_train.update_policy`` each step;
- wrapper: ``PI05.from_pretrained(base, peft=LORA)``, ``lightning.Trainer.fit`` with a ``LeRobotDataModule``
  whose training batches are fixed (``setup`` fine-tunes on its statistics).

Steps are timed between CUDA synchronisations, both sides seeded alike per step; ``bench_overhead.py``
interleaves the sides in one process and measures peak memory in fresh processes (``--side``). The native
CUDA peak is its last step's (``update_policy`` resets the counter each step), the wrapper's the highest
of its measured steps. On CUDA, cuDNN benchmarking and TF32 matmuls are on for both, as lerobot_train sets
them. ``TINY`` is the same code at the tests' tiny pi05 (PaliGemma shrunk by ``vla.assets.paligemma_patch``)
on the CPU: ``bench_overhead.py --tiny-lora-cpu`` runs it without a GPU.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import peak_memory
from peak_memory import WARM_UP, Mark, no_mark
from workload import timing_trainer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/: lerobot_train_recipe, vla.assets

from vla.assets.builders.paligemma import PALIGEMMA_REPO_ID, paligemma_tokenizer, pi05
from vla.assets.datasets import REPO_ID, DatasetSpec, make_dataset
from vla.assets.fake_hub import fake_snapshot

PEFT_RANK = 16  # PeftConfig's default rank, spelled out: the figures depend on it


@dataclass(frozen=True)
class Case:
    """A pi05 size to fine-tune: tiny or LeRobot's own, the dataset it trains on, where, in what batches."""

    label: str
    tiny: bool  # PaliGemma shrunk by vla.assets.paligemma_patch, the tests' tiny config kwargs
    device: str
    batch_size: int
    dataset: DatasetSpec
    frames: int  # per episode, two episodes


REALISTIC = Case(
    "pi05 at LeRobot's sizes (gemma_2b + gemma_300m), bf16, LoRA r=16, batch 8",
    tiny=False,
    device="cuda",
    batch_size=8,
    dataset=DatasetSpec(
        cameras=("observation.images.top", "observation.images.wrist"),
        image_size=(224, 224),
        state_dim=8,
        action_dim=7,
    ),
    frames=64,
)
TINY = Case(
    "pi05 tiny (the tests' sizes), bf16, LoRA r=16, batch 4",
    tiny=True,
    device="cpu",
    batch_size=4,
    dataset=DatasetSpec(),
    frames=16,
)
CASES = {"realistic": REALISTIC, "tiny": TINY}


@dataclass(frozen=True)
class Assets:
    """What both sides read: the saved base, the dataset's root, the temp hub cache."""

    case: str  # a key of CASES
    base: Path
    root: Path
    hub_cache: Path


@contextlib.contextmanager
def environment(case: Case, hub_cache: Path) -> Iterator[None]:
    """The hub cache the stand-in tokenizer is in, PaliGemma shrunk for a tiny case, lerobot_train's
    CUDA switches; all undone on exit."""
    import huggingface_hub.constants
    import pytest
    import torch

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_CACHE", str(hub_cache))
        patch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(hub_cache))
        if case.tiny:
            from vla.assets.paligemma_patch import shrink_paligemma

            shrink_paligemma(patch)
        switches = torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32
        if case.device != "cpu":  # MonkeyPatch cannot undo torch's module-like switch objects
            torch.backends.cudnn.benchmark = torch.backends.cuda.matmul.allow_tf32 = True
        try:
            yield
        finally:
            torch.backends.cudnn.benchmark, torch.backends.cuda.matmul.allow_tf32 = switches


def config_kwargs(case: Case, hub_cache: Path, assets: Path) -> dict[str, Any]:
    """pi05's config fields for ``case``; writes the stand-in PaliGemma tokenizer into ``hub_cache``."""
    if case.tiny:
        sizes = pi05(assets, hub_cache)  # writes the tokenizer too
    else:
        paligemma_tokenizer(fake_snapshot(hub_cache, PALIGEMMA_REPO_ID))
        sizes = {}  # LeRobot's own defaults
    return {**sizes, "dtype": "bfloat16", "device": case.device}


def build_assets(name: str, directory: Path, hub_cache: Path) -> Assets:
    """Record the dataset in ``directory`` and save the base there as LeRobot does, inside
    ``environment(CASES[name], hub_cache)``."""
    import torch
    from lerobot.datasets import LeRobotDatasetMetadata
    from lerobot.policies.factory import make_policy, make_policy_config, make_pre_post_processors

    case = CASES[name]
    kwargs = config_kwargs(case, hub_cache, directory / "assets")
    root = make_dataset(case.dataset, directory / "data", frames=case.frames)
    meta = LeRobotDatasetMetadata(REPO_ID, root=root)
    config = make_policy_config("pi05", **kwargs)
    torch.manual_seed(1234)
    policy = make_policy(config, ds_meta=meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
    base = directory / "base"
    for part in (policy, preprocessor, postprocessor):
        part.save_pretrained(base)
    return Assets(name, base, root, hub_cache)


def lora() -> Any:
    from lerobot.configs.default import PeftConfig

    return PeftConfig(r=PEFT_RANK)


def training_batches(assets: Assets) -> tuple[Any, list[dict[str, Any]]]:
    """The dataset as ``lerobot_train`` makes it (ImageNet camera statistics) and its batches."""
    import torch
    from lerobot.configs.default import DatasetConfig
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.configs.train import TrainPipelineConfig
    from lerobot.datasets.factory import make_dataset as lerobot_make_dataset

    policy = PreTrainedConfig.from_pretrained(assets.base)
    dataset = lerobot_make_dataset(
        TrainPipelineConfig(dataset=DatasetConfig(repo_id=REPO_ID, root=str(assets.root)), policy=policy)
    )
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=CASES[assets.case].batch_size, shuffle=False, drop_last=True
    )
    return dataset, list(loader)


def _synchronise(device: str, seed_step: int | None = None) -> None:
    """Wait for the device; before step ``seed_step``, seed it (noise and flow-matching times alike)."""
    import torch

    if seed_step is not None:
        torch.manual_seed(1000 + seed_step)
    if device != "cpu":
        torch.cuda.synchronize()


class Native:
    """lerobot_train's fine-tune, step by step: its recipe, presets, accelerate and ``update_policy``."""

    def __init__(self, assets: Assets, steps: int) -> None:
        import torch
        from accelerate import Accelerator
        from accelerate.state import AcceleratorState
        from lerobot.utils.logging_utils import AverageMeter, MetricsTracker
        from lerobot_train_recipe import finetune_policy, lerobot_train_mixed_precision

        case = CASES[assets.case]
        self.device = case.device
        dataset, self.batches = training_batches(assets)
        torch.manual_seed(0)
        config, policy, self.preprocessor = finetune_policy(
            assets.base, dataset.meta, device=case.device, peft=lora()
        )
        self.preset = config.get_optimizer_preset()
        optimizer = self.preset.build(policy.get_optim_params())
        scheduler_preset = config.get_scheduler_preset()
        scheduler = scheduler_preset.build(optimizer, steps) if scheduler_preset is not None else None
        AcceleratorState._reset_state(reset_partial_state=True)  # one per process, as lerobot-train's
        self.accelerator = Accelerator(
            step_scheduler_with_optimizer=False,
            mixed_precision=lerobot_train_mixed_precision(config),
            cpu=case.device == "cpu",
        )
        self.policy, self.optimizer, self.scheduler = self.accelerator.prepare(policy, optimizer, scheduler)
        meters = {
            name: AverageMeter(name) for name in ("loss", "grad_norm", "lr", "update_s", "dataloading_s")
        }
        meta = dataset.meta
        self.tracker = MetricsTracker(
            case.batch_size, meta.total_frames, meta.total_episodes, meters, accelerator=self.accelerator
        )
        self.losses: list[float] = []

    def steps(self, count: int, mark: Mark = no_mark) -> list[float]:
        """The preprocessor, then ``update_policy``: forward, backward, clipping, optimizer, scheduler."""
        from lerobot.scripts.lerobot_train import update_policy

        times = []
        for step in range(count):
            batch = copy.copy(self.batches[step % len(self.batches)])
            mark(step)
            _synchronise(self.device, seed_step=step)
            started = time.perf_counter()
            self.tracker, _ = update_policy(
                self.tracker,
                self.policy,
                self.preprocessor(batch),
                self.optimizer,
                self.preset.grad_clip_norm,
                accelerator=self.accelerator,
                lr_scheduler=self.scheduler,
            )
            _synchronise(self.device)
            times.append(time.perf_counter() - started)
            self.losses.append(self.tracker.loss.val)
        mark(count)
        return times

    def trainable(self) -> tuple[int, int]:
        """Trainable and all parameters."""
        parameters = list(self.policy.parameters())
        return sum(p.numel() for p in parameters if p.requires_grad), sum(p.numel() for p in parameters)


class Wrapper:
    """``PI05.from_pretrained(base, peft=LORA)``, fit by ``lightning.Trainer`` on fixed batches."""

    def __init__(self, assets: Assets) -> None:
        import torch

        from getiaction.policies.lerobot import PI05

        self.assets = assets
        self.device = CASES[assets.case].device
        _, self.batches = training_batches(assets)
        torch.manual_seed(0)
        self.policy = PI05.from_pretrained(assets.base, peft=lora())
        self.losses: list[float] = []

    def steps(self, count: int, mark: Mark = no_mark) -> list[float]:
        """One ``Trainer.fit`` of ``count`` steps, each timed from ``on_train_batch_start`` to its end."""
        import lightning
        import torch

        from getiaction.data.lerobot import LeRobotDataModule

        times: list[float] = []
        device, losses, batches = self.device, self.losses, self.batches

        class Clock(lightning.Callback):
            def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
                # Lightning has moved the batch to the device by now; native's preprocessor moves it
                # within its timed step (about 10 MB at the realistic size: small against a step).
                mark(batch_idx)
                _synchronise(device, seed_step=batch_idx)
                self.started = time.perf_counter()

            def on_train_batch_end(
                self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int
            ) -> None:
                _synchronise(device)
                times.append(time.perf_counter() - self.started)
                losses.append(float(outputs["loss"]))
                if batch_idx == count - 1:
                    mark(count)  # before teardown moves the module back to the CPU

        class FixedBatches(LeRobotDataModule):
            def train_dataloader(self) -> torch.utils.data.DataLoader[Any]:
                chosen = [batches[step % len(batches)] for step in range(count)]
                return torch.utils.data.DataLoader(chosen, batch_size=None, collate_fn=lambda batch: batch)

        batch_size = CASES[self.assets.case].batch_size
        data = FixedBatches(REPO_ID, root=self.assets.root, num_workers=0, batch_size=batch_size)
        timing_trainer(count, device, Clock()).fit(self.policy, datamodule=data)
        return times


def worker(side: str, assets: Assets, count: int) -> peak_memory.Peak:
    """Build ``side`` alone in this fresh process, warm it up, then ``count`` steps with the peaks reset."""
    rss_after_imports = peak_memory.import_side(side)
    case = CASES[assets.case]
    with environment(case, assets.hub_cache):
        runner = Native(assets, WARM_UP + count) if side == "native" else Wrapper(assets)
        return peak_memory.measured_peak(
            lambda mark: runner.steps(WARM_UP + count, mark),
            case.device,
            rss_after_imports,
            total=WARM_UP + count,
        )


def measure(assets: Assets, steps: int, rounds: int) -> dict[str, list[peak_memory.Peak]]:
    """Each side in its own fresh process, ``rounds`` times, sides alternating in order."""
    peaks: dict[str, list[peak_memory.Peak]] = {side: [] for side in peak_memory.SIDES}
    for round_ in range(rounds):
        for side in peak_memory.SIDES if round_ % 2 == 0 else peak_memory.SIDES[::-1]:
            command = [sys.executable, __file__, "--side", side, "--case", assets.case, "--count", str(steps)]
            command += ["--base", str(assets.base), "--root", str(assets.root)]
            command += ["--hub-cache", str(assets.hub_cache)]
            env = {**os.environ, "HF_HUB_CACHE": str(assets.hub_cache)}
            peaks[side].append(peak_memory.run_worker(command, f"LoRA fine-tune, {side}", env=env))
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=peak_memory.SIDES, required=True)
    parser.add_argument("--case", choices=sorted(CASES), required=True)
    parser.add_argument("--count", type=int, required=True, help="measured steps, after warm-up")
    parser.add_argument("--base", type=Path, required=True)
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--hub-cache", type=Path, required=True)
    args = parser.parse_args()
    peak = worker(args.side, Assets(args.case, args.base, args.root, args.hub_cache), args.count)
    print(peak_memory.RESULT + json.dumps(peak.__dict__))


if __name__ == "__main__":
    main()
