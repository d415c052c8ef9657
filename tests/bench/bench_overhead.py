"""Overhead of the wrappers against native LeRobot, measured in the same run (``nox -s bench``).

Each variant runs in its own process, so peak memory is its own. Printed: seconds per training step
(Lightning + wrapper vs ``lerobot_train.update_policy``), seconds per ``select_action`` (wrapper vs
policy + processors), peak resident memory of each, and import costs. Ratios near 1.0 mean no overhead.
Nothing here asserts on time: the numbers are for people to read.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/tiny.py

POLICY = "act"
SIZES = {"dim_model": 256, "n_heads": 8, "dim_feedforward": 1024, "chunk_size": 20, "n_action_steps": 20}
BATCH_SIZE = 16


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup(root: Path) -> tuple[Any, Any, list[dict[str, Any]]]:
    import torch
    from lerobot.datasets import LeRobotDataset, LeRobotDatasetMetadata
    from lerobot.datasets.factory import resolve_delta_timestamps
    from lerobot.policies.factory import make_policy_config
    from tiny import REPO_ID, TINY_CONFIGS

    meta = LeRobotDatasetMetadata(REPO_ID, root=root)
    config = make_policy_config(POLICY, **{**TINY_CONFIGS[POLICY], **SIZES})
    dataset = LeRobotDataset(REPO_ID, root=root, delta_timestamps=resolve_delta_timestamps(config, meta))
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False, drop_last=True)
    return meta, config, list(loader)


def run_native(root: Path, steps: int, warmup: int) -> dict[str, float]:
    import torch
    from accelerate import Accelerator
    from lerobot.policies.factory import make_policy, make_pre_post_processors
    from lerobot.scripts.lerobot_train import update_policy
    from lerobot.utils.logging_utils import AverageMeter, MetricsTracker

    meta, config, batches = _setup(root)
    policy = make_policy(config, ds_meta=meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
    preset = config.get_optimizer_preset()
    optimizer = preset.build(policy.get_optim_params())
    accelerator = Accelerator(cpu=not torch.cuda.is_available(), step_scheduler_with_optimizer=False)
    policy, optimizer = accelerator.prepare(policy, optimizer)
    meters = {name: AverageMeter(name) for name in ("loss", "grad_norm", "lr", "update_s", "dataloading_s")}
    tracker = MetricsTracker(
        BATCH_SIZE, meta.total_frames, meta.total_episodes, meters, accelerator=accelerator
    )
    policy.train()
    for step in range(warmup + steps):
        if step == warmup:
            started = time.perf_counter()
        batch = preprocessor(dict(batches[step % len(batches)]))
        tracker, _ = update_policy(
            tracker, policy, batch, optimizer, preset.grad_clip_norm, accelerator=accelerator
        )
    train_s = (time.perf_counter() - started) / steps

    policy.eval()
    observation = {key: batches[0][key][0] for key in ("observation.state", "observation.image")}
    calls = 50
    with torch.inference_mode():
        started = time.perf_counter()
        for _ in range(calls):
            postprocessor(accelerator.unwrap_model(policy).select_action(preprocessor(dict(observation))))
    return {"train_step_s": train_s, "select_action_s": (time.perf_counter() - started) / calls}


def run_wrapper(root: Path, steps: int, warmup: int) -> dict[str, float]:
    import lightning
    import torch
    from lerobot.utils.feature_utils import dataset_to_policy_features
    from tiny import TINY_CONFIGS

    from getiaction.policies.lerobot import ACT

    meta, _, batches = _setup(root)
    features = dataset_to_policy_features(meta.features)
    module = ACT(
        input_features=features,
        output_features=features,
        stats=meta.stats,
        **{**TINY_CONFIGS[POLICY], **SIZES},
    )

    times: list[float] = []

    class Clock(lightning.Callback):
        def on_train_batch_start(self, *args: Any) -> None:
            times.append(time.perf_counter())

    loader = torch.utils.data.DataLoader(
        [batches[step % len(batches)] for step in range(warmup + steps)],
        batch_size=None,
        collate_fn=lambda b: b,
    )
    trainer = lightning.Trainer(
        max_steps=warmup + steps,
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[Clock()],
    )
    trainer.fit(module, train_dataloaders=loader)
    finished = time.perf_counter()
    train_s = (finished - times[warmup]) / steps

    module.eval()
    observation = {key: batches[0][key][0] for key in ("observation.state", "observation.image")}
    calls = 50
    with torch.inference_mode():
        started = time.perf_counter()
        for _ in range(calls):
            module.select_action(dict(observation))
    return {"train_step_s": train_s, "select_action_s": (time.perf_counter() - started) / calls}


def import_seconds(statement: str) -> float:
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variant", choices=["native", "wrapper"])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    if args.variant:  # a child process: measure one variant, report as JSON
        run = run_native if args.variant == "native" else run_wrapper
        result = run(args.root, args.steps, args.warmup)
        print(json.dumps({**result, "peak_rss_mb": _peak_rss_mb()}))
        return

    from tiny import make_dataset

    with tempfile.TemporaryDirectory() as tmp:
        root = make_dataset(Path(tmp) / "tiny", episodes=4, frames=40)
        results = {}
        for variant in ("native", "wrapper"):
            command = [sys.executable, __file__, "--variant", variant, "--root", str(root)]
            command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
            output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            results[variant] = json.loads(output.strip().splitlines()[-1])

    native, wrapper = results["native"], results["wrapper"]
    print(f"ACT {SIZES}, batch {BATCH_SIZE}, {args.steps} timed steps after {args.warmup} warm-up steps")
    print(f"{'metric':<26}{'native LeRobot':>16}{'getiaction':>14}{'ratio':>9}")
    for key, label in (
        ("train_step_s", "train step (s)"),
        ("select_action_s", "select_action (s)"),
        ("peak_rss_mb", "peak RSS (MB)"),
    ):
        print(f"{label:<26}{native[key]:>16.4f}{wrapper[key]:>14.4f}{wrapper[key] / native[key]:>9.2f}")

    bare = import_seconds("import getiaction.policies.lerobot")
    native_import = import_seconds("import lerobot.policies.act.modeling_act")
    wrapper_import = import_seconds("from getiaction.policies.lerobot import ACT")
    print(f"{'import package (s)':<26}{'':>16}{bare:>14.2f}")
    print(
        f"{'import ACT (s)':<26}{native_import:>16.2f}{wrapper_import:>14.2f}{wrapper_import / native_import:>9.2f}"
    )
    print("(native import: lerobot.policies.act.modeling_act; the wrapper's includes Lightning)")


if __name__ == "__main__":
    main()
