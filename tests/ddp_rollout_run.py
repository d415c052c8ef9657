"""RolloutEvaluation under a 2-process DDP fit on CPU (gloo), run as a script.

    python tests/ddp_rollout_run.py --root DATASET --out DIR

A tiny ACT trains on the tiny image dataset (``observation.image``, a 2-d ``observation.state`` and action: the
keys of LeRobot's PushT with ``obs_type=pixels_agent_pos``) and is rolled out in PushT after every validation,
with a ``ModelCheckpoint`` monitoring the rollout score. The ranks are forked from this process (``ddp_fork``),
so that LeRobot and Lightning are imported once; the strategy is DDP all the same. Each rank writes
``DIR/rank<r>.pt``: how often it called LeRobot's evaluator, the rollout scores it logged, what its checkpoint
callback saw, and whether the policy was in train mode at each training step.

"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/tiny.py

import lightning
import torch
from tiny import REPO_ID, TINY_CONFIGS

import getiaction.evaluation.callback as callback_module
from getiaction.data.lerobot import LeRobotDataModule
from getiaction.evaluation import RolloutEvaluation
from getiaction.policies.lerobot import ACT

EVALUATIONS: list[dict[str, Any]] = []
_evaluate = callback_module.evaluate


def counting_evaluate(*args: Any, **kwargs: Any) -> Any:
    """LeRobot's evaluator as the callback calls it, counted (in the process that calls it)."""
    info = _evaluate(*args, **kwargs)
    EVALUATIONS.append(info["overall"])
    return info


callback_module.evaluate = counting_evaluate


class Record(lightning.Callback):
    """Writes each rank's observations at the end of its fit (the forked ranks run nothing after it)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.train_mode: dict[int, tuple[bool, bool]] = {}
        self.logged: dict[int, dict[str, float]] = {}

    def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
        self.train_mode[trainer.global_step] = (module.training, module.lerobot_policy.training)

    def on_validation_end(self, trainer: Any, module: Any) -> None:
        self.logged[trainer.global_step] = {
            name: float(value) for name, value in trainer.callback_metrics.items() if name.startswith("eval/")
        }

    def on_fit_end(self, trainer: Any, module: Any) -> None:
        checkpoints = trainer.checkpoint_callback
        score = checkpoints.best_model_score
        torch.save(
            {
                "evaluations": EVALUATIONS,
                "logged": self.logged,
                "train_mode": self.train_mode,
                "best_model_score": None if score is None else float(score),
                "best_model_path": checkpoints.best_model_path,
                "world_size": trainer.world_size,
            },
            self.out / f"rank{trainer.global_rank}.pt",
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    lightning.seed_everything(0)
    record = Record(args.out)
    checkpoints = lightning.pytorch.callbacks.ModelCheckpoint(
        dirpath=args.out / "checkpoints", monitor="eval/avg_max_reward", mode="max", save_top_k=1
    )
    rollouts = RolloutEvaluation(
        env={"type": "pusht", "obs_type": "pixels_agent_pos", "episode_length": 6},
        n_episodes=2,
        batch_size=2,
        seed=300,
        at_start=False,
    )
    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp_fork",
        max_steps=4,
        val_check_interval=2,
        check_val_every_n_epoch=None,
        num_sanity_val_steps=1,  # the sanity check must not roll out
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=args.out,
        callbacks=[record, rollouts, checkpoints],
    )
    policy = ACT(**TINY_CONFIGS["act"])
    datamodule = LeRobotDataModule(REPO_ID, root=args.root, num_workers=0, batch_size=4, eval_split=0.34)
    trainer.fit(policy, datamodule=datamodule)


if __name__ == "__main__":
    main()
