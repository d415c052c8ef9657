"""A 2-process DDP fit on CPU (gloo), run as a script: Lightning's DDP launcher re-runs it for rank 1.

    python tests/ddp_run.py --root DATASET --out DIR --max-steps 6 [--ckpt-path CKPT]

Each rank writes ``DIR/rank<r>.pt``: the policy's final weights, and per step its loss and the dataset
indices of its batch. A checkpoint is written every 3 steps into ``DIR/checkpoints``.
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

from getiaction.data.lerobot import LeRobotDataModule
from getiaction.policies.lerobot import ACT

BATCH_SIZE = 4


class Record(lightning.Callback):
    def __init__(self) -> None:
        self.losses: dict[int, float] = {}
        self.indices: dict[int, list[int]] = {}

    def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.losses[trainer.global_step] = float(outputs["loss"])
        self.indices[trainer.global_step] = [int(i) for i in batch["index"]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-steps", type=int, required=True)
    parser.add_argument("--ckpt-path", type=Path)
    args = parser.parse_args()

    lightning.seed_everything(0 if args.ckpt_path is None else 123)  # a resumed run must not depend on it
    record = Record()
    trainer = lightning.Trainer(
        accelerator="cpu",
        devices=2,
        strategy="ddp",
        max_steps=args.max_steps,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=args.out,
        callbacks=[
            record,
            lightning.pytorch.callbacks.ModelCheckpoint(
                dirpath=args.out / "checkpoints", every_n_train_steps=3, save_top_k=-1, filename="{step}"
            ),
        ],
    )
    policy = ACT(**TINY_CONFIGS["act"])
    datamodule = LeRobotDataModule(REPO_ID, root=args.root, num_workers=0, batch_size=BATCH_SIZE)
    trainer.fit(policy, datamodule=datamodule, ckpt_path=args.ckpt_path)
    assert policy.lerobot_policy is not None
    torch.save(
        {
            "weights": policy.lerobot_policy.state_dict(),
            "losses": record.losses,
            "indices": record.indices,
            "world_size": trainer.world_size,
        },
        args.out / f"rank{trainer.global_rank}.pt",
    )


if __name__ == "__main__":
    main()
