"""``getiaction``: LightningCLI over every getiaction policy and ``LeRobotDataModule``.

getiaction fit --config configs/lerobot_act.yaml --model.init_args.dim_model 1024 --trainer.max_epochs 200
getiaction fit --config configs/lerobot_diffusion.yaml --print_config
getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --episodes 50  (getiaction.evaluation)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from lightning.pytorch.cli import LightningCLI


def main() -> None:
    """Console script entry point: ``getiaction eval ...`` rolls a policy out, the rest is LightningCLI."""
    if sys.argv[1:2] == ["eval"]:
        from getiaction.evaluation import main as evaluate

        raise SystemExit(evaluate(sys.argv[2:]))
    run_cli()


def run_cli(args: Sequence[str] | None = None) -> LightningCLI:
    """Run the CLI (``fit``, ``validate``, ``test``, ``predict``); ``args`` default to ``sys.argv``."""
    from getiaction.data.lerobot import LeRobotDataModule
    from getiaction.policies import lerobot as policies

    # Import every (lazily exported) wrapper so `--model ACT`, a short class name, resolves too.
    for name in policies.__all__:
        getattr(policies, name)

    return LightningCLI(
        model_class=policies.LeRobotPolicyModule,
        datamodule_class=LeRobotDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        save_config_kwargs={"overwrite": True},
        args=list(args) if args is not None else None,
    )


if __name__ == "__main__":
    main()
