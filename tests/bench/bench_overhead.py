"""The wrappers' overhead against native LeRobot, measured as an instrument (``nox -s bench``).

Wrapper and native run in one process, on the same batches, in interleaved blocks (native, wrapper,
native, ...), so that whatever else the machine does falls on both alike. Each figure is the median of
its per-step (per-call) times; a ratio is wrapper median / native median, measured in each of
``--rounds`` rounds, and printed with its spread over the rounds ((max - min) / median). Nothing here
asserts on time: the numbers are for people to read.

- training step: LeRobot's preprocessor then ``lerobot_train.update_policy`` (through accelerate), against
  one step of ``lightning.Trainer`` on the wrapper (timed from ``on_train_batch_start`` to
  ``on_train_batch_end``: checks, preprocessing, forward, backward, clipping, optimizer, logging);
- ``select_action``: preprocessor, ``select_action``, postprocessor, against the wrapper's, once with the
  model running on every call (``reset()`` first) and once serving actions from the queue;
- at ACT's defaults (ResNet18, dim 512, chunks of 100, 96x96 frames, batch 8) and at a tiny size;
- imports (``from getiaction.policies.lerobot import ACT`` against ``import lightning`` plus the native ACT
  import) and CLI start-up (``getiaction --help`` against the same imports), in fresh processes.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/tiny.py

REALISTIC: dict[str, Any] = {"pretrained_backbone_weights": None}  # ACT's defaults, without a download
TINY: dict[str, Any] = {}  # filled from tests/tiny.py
BATCH_SIZE = 8


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
    dataset = LeRobotDataset.create("local/bench", fps=10, features=features, root=root, use_videos=False)
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


class Pair:
    """A native policy with its optimizer and processors, and a wrapper built with the same weights."""

    def __init__(self, root: Path, sizes: dict[str, Any]) -> None:
        import torch
        from accelerate import Accelerator
        from lerobot.datasets import LeRobotDataset, LeRobotDatasetMetadata
        from lerobot.datasets.factory import resolve_delta_timestamps
        from lerobot.policies.factory import make_policy, make_policy_config, make_pre_post_processors
        from lerobot.utils.feature_utils import dataset_to_policy_features
        from lerobot.utils.logging_utils import AverageMeter, MetricsTracker

        from getiaction.policies.lerobot import ACT

        meta = LeRobotDatasetMetadata("local/bench", root=root)
        config = make_policy_config("act", **sizes)
        dataset = LeRobotDataset(
            "local/bench", root=root, delta_timestamps=resolve_delta_timestamps(config, meta)
        )
        loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False, drop_last=True)
        self.batches: list[dict[str, Any]] = list(loader)
        for batch in self.batches:  # as lerobot_train hands them to the preprocessor
            batch["observation.image"] = batch["observation.image"].float()
        frame = LeRobotDataset("local/bench", root=root)[0]
        self.observation = {key: frame[key] for key in ("observation.state", "observation.image")}

        torch.manual_seed(0)
        native = make_policy(config, ds_meta=meta)
        self.preprocessor, self.postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
        self.preset = config.get_optimizer_preset()
        optimizer = self.preset.build(native.get_optim_params())
        self.accelerator = Accelerator(cpu=True, step_scheduler_with_optimizer=False)
        self.native, self.optimizer = self.accelerator.prepare(native, optimizer)
        meters = {
            name: AverageMeter(name) for name in ("loss", "grad_norm", "lr", "update_s", "dataloading_s")
        }
        self.tracker = MetricsTracker(
            BATCH_SIZE, meta.total_frames, meta.total_episodes, meters, accelerator=self.accelerator
        )

        features = dataset_to_policy_features(meta.features)
        torch.manual_seed(0)
        self.wrapper = ACT(input_features=features, output_features=features, stats=meta.stats, **sizes)

    # --- training -------------------------------------------------------------------------------

    def native_steps(self, count: int) -> list[float]:
        from lerobot.scripts.lerobot_train import update_policy

        times = []
        self.native.train()
        for step in range(count):
            batch = copy.copy(self.batches[step % len(self.batches)])
            started = time.perf_counter()
            self.tracker, _ = update_policy(
                self.tracker,
                self.native,
                self.preprocessor(batch),
                self.optimizer,
                self.preset.grad_clip_norm,
                accelerator=self.accelerator,
            )
            times.append(time.perf_counter() - started)
        return times

    def wrapper_steps(self, count: int) -> list[float]:
        import lightning
        import torch

        times: list[float] = []

        class Clock(lightning.Callback):
            def on_train_batch_start(self, *args: Any) -> None:
                self.started = time.perf_counter()

            def on_train_batch_end(self, *args: Any) -> None:
                times.append(time.perf_counter() - self.started)

        loader = torch.utils.data.DataLoader(
            [self.batches[step % len(self.batches)] for step in range(count)],
            batch_size=None,
            collate_fn=lambda batch: batch,
        )
        trainer = lightning.Trainer(
            max_steps=count,
            accelerator="cpu",
            logger=False,
            enable_checkpointing=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[Clock()],
        )
        trainer.fit(self.wrapper, train_dataloaders=loader)
        return times

    # --- inference --------------------------------------------------------------------------------

    def native_actions(self, count: int, every_call_runs_the_model: bool) -> list[float]:
        import torch

        policy = self.accelerator.unwrap_model(self.native)
        policy.eval()
        policy.reset()
        times = []
        with torch.no_grad():
            for _ in range(count):
                if every_call_runs_the_model:
                    policy.reset()
                started = time.perf_counter()
                self.postprocessor(policy.select_action(self.preprocessor(dict(self.observation))))
                times.append(time.perf_counter() - started)
        return times

    def wrapper_actions(self, count: int, every_call_runs_the_model: bool) -> list[float]:
        self.wrapper.eval()
        self.wrapper.reset()
        times = []
        for _ in range(count):
            if every_call_runs_the_model:
                self.wrapper.reset()
            started = time.perf_counter()
            self.wrapper.select_action(dict(self.observation))
            times.append(time.perf_counter() - started)
        return times


def interleaved(native: Callable[[], list[float]], wrapper: Callable[[], list[float]], blocks: int) -> float:
    """Wrapper median / native median over ``blocks`` interleaved blocks (the first of each discarded)."""
    native_times: list[float] = []
    wrapper_times: list[float] = []
    for block in range(blocks + 1):
        first, second = (native, wrapper) if block % 2 == 0 else (wrapper, native)
        # The first step of each block is dropped on both sides: a new Trainer builds a fresh optimizer.
        times = {id(first): first()[1:], id(second): second()[1:]}
        if block:  # the first block warms both up
            native_times += times[id(native)]
            wrapper_times += times[id(wrapper)]
    return statistics.median(wrapper_times) / statistics.median(native_times)


def fresh_process_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def spread(values: list[float]) -> float:
    return (max(values) - min(values)) / statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=4, help="interleaved blocks per round")
    parser.add_argument("--steps", type=int, default=3, help="training steps per block (realistic size)")
    parser.add_argument("--calls", type=int, default=20, help="select_action calls per block")
    parser.add_argument("--import-repeats", type=int, default=4, help="fresh processes per command and round")
    parser.add_argument("--skip-imports", action="store_true")
    args = parser.parse_args()

    from tiny import TINY_CONFIGS

    TINY.update(TINY_CONFIGS["act"])
    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, sizes, image_size, steps in (
            ("ACT defaults", REALISTIC, 96, args.steps),
            ("ACT tiny", TINY, 64, 10 * args.steps),
        ):
            pair = Pair(make_dataset(Path(tmp) / label.replace(" ", "_"), image_size), sizes)
            pair_steps = steps
            measures: dict[str, list[float]] = {
                "train step": [],
                "select_action (model)": [],
                "select_action (queue)": [],
            }
            for _ in range(args.rounds):
                measures["train step"].append(
                    interleaved(
                        lambda pair=pair, count=pair_steps: pair.native_steps(count),
                        lambda pair=pair, count=pair_steps: pair.wrapper_steps(count),
                        args.blocks,
                    )
                )
                # Served from the queue a call costs a fraction of a millisecond: ten times the calls.
                for name, runs_model, calls in (
                    ("select_action (model)", True, args.calls),
                    ("select_action (queue)", False, 10 * args.calls),
                ):
                    measures[name].append(
                        interleaved(
                            lambda pair=pair, runs_model=runs_model, calls=calls: pair.native_actions(
                                calls, runs_model
                            ),
                            lambda pair=pair, runs_model=runs_model, calls=calls: pair.wrapper_actions(
                                calls, runs_model
                            ),
                            args.blocks,
                        )
                    )
            rows += [(f"{label}: {name}", values) for name, values in measures.items()]

    if not args.skip_imports:
        python = sys.executable
        commands = {
            "native": [python, "-c", "import lightning; import lerobot.policies.act.modeling_act"],
            "import ACT (fresh process)": [python, "-c", "from getiaction.policies.lerobot import ACT"],
            "getiaction --help (fresh process)": [str(Path(python).parent / "getiaction"), "--help"],
        }
        ratios: dict[str, list[float]] = {name: [] for name in commands if name != "native"}
        for _ in range(args.rounds):
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.import_repeats):  # interleaved: native, import, CLI, native, ...
                for name, command in commands.items():
                    times[name].append(fresh_process_seconds(command, 1))
            for name in ratios:
                ratios[name].append(statistics.median(times[name]) / statistics.median(times["native"]))
        rows += list(ratios.items())

    print(
        f"getiaction / native LeRobot: median ratio per round over {args.rounds} rounds (1.00 = no overhead)"
    )
    print(f"{'measure':<44}{'rounds':>28}{'median':>9}{'spread':>9}")
    for name, values in rows:
        rounds = " ".join(f"{value:.3f}" for value in values)
        print(f"{name:<44}{rounds:>28}{statistics.median(values):>9.3f}{spread(values):>8.1%}")


if __name__ == "__main__":
    main()
