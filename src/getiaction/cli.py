"""``getiaction``: LightningCLI over every getiaction policy and ``LeRobotDataModule``.

getiaction fit --config configs/lerobot_act.yaml --model.init_args.dim_model 1024 --trainer.max_epochs 200
getiaction fit --config configs/lerobot_diffusion.yaml --print_config
"""

from __future__ import annotations

from collections.abc import Sequence

from lightning.pytorch.cli import LightningCLI


def main() -> None:
    """Console script entry point."""
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
