"""``RolloutEvaluation``: the training policy rolled out in a LeRobot environment, as ``lerobot-train`` does it.

``lerobot-train --env.type=...`` evaluates on the main process only, in fresh environments each time, through
``eval_policy_all``, while the other processes wait. This callback does the same through ``delegate.evaluate``
(the very function ``getiaction eval`` runs), then broadcasts the scores so that every rank logs the same
values and a ``ModelCheckpoint`` monitoring them decides alike everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from lerobot.configs.default import EvalConfig
from lerobot.envs.configs import EnvConfig
from lerobot.utils.random_utils import seeded_context
from lightning.pytorch import Callback

from getiaction.errors import ConfigError
from getiaction.evaluation.delegate import evaluate, policy_parts
from getiaction.evaluation.environments import env_config, opened_envs

if TYPE_CHECKING:
    from lightning.pytorch import LightningModule, Trainer

__all__ = ["RolloutEvaluation"]

# The scores logged, from lerobot-eval's `overall` (lerobot-train logs eval/avg_sum_reward, eval/pc_success).
LOGGED = ("avg_sum_reward", "avg_max_reward", "pc_success")


class RolloutEvaluation(Callback):
    """Roll the training policy out every ``every_n_val_epochs`` validation runs; log LeRobot's scores.

    Validation must run (a validation set, e.g. ``eval_split``; ``val_check_interval`` sets how often). Logs
    ``eval/avg_sum_reward``, ``eval/avg_max_reward`` and ``eval/pc_success`` (a percentage), the names of
    ``lerobot-eval``'s ``overall`` entry, against the global step. The episodes are the same each time (seeds
    ``seed``, ``seed + 1``, ...; the training's random state is restored afterwards), so the curve compares
    like with like. Under DDP only rank zero rolls out; every rank logs its scores. Nothing runs during the
    sanity check.

    In a LightningCLI config::

        callbacks:
          - class_path: getiaction.evaluation.RolloutEvaluation
            init_args:
              env: {type: pusht, obs_type: environment_state_agent_pos}
              n_episodes: 10

    Args:
        env: The LeRobot environment: its ``EnvConfig``, or the mapping ``--env.*`` options make
            (``{"type": "aloha", "task": "AlohaTransferCube-v0"}``), or just a type.
        n_episodes: Episodes per task and evaluation (``--eval.n_episodes``).
        batch_size: Environments stepped together (``--eval.batch_size``; 0 picks one from the CPU count).
        use_async_envs: Step them in worker processes (``--eval.use_async_envs``). Off by default here: the
            workers would start again at every evaluation.
        seed: Seed of each task's first episode (``--seed``).
        every_n_val_epochs: Evaluate after every n-th validation run.
        at_start: Also evaluate the untrained policy before the first step (logged at step 0).
        max_episodes_rendered: Episodes filmed per task and evaluation, into
            ``<default_root_dir>/eval/videos_step_<step>/`` (``lerobot-train`` films 4).
    """

    def __init__(
        self,
        env: EnvConfig | dict[str, Any] | str = "pusht",
        n_episodes: int = 10,
        batch_size: int = 0,
        use_async_envs: bool = False,
        seed: int = 1000,
        every_n_val_epochs: int = 1,
        at_start: bool = True,
        max_episodes_rendered: int = 0,
    ) -> None:
        if every_n_val_epochs < 1:
            raise ConfigError(
                f"RolloutEvaluation: every_n_val_epochs must be at least 1, got {every_n_val_epochs}"
            )
        if n_episodes < 1:
            raise ConfigError(f"RolloutEvaluation: n_episodes must be at least 1, got {n_episodes}")
        self.env = env_config(env, option="RolloutEvaluation env")
        self.eval = EvalConfig(n_episodes=n_episodes, batch_size=batch_size, use_async_envs=use_async_envs)
        self.seed = seed
        self.every_n_val_epochs = every_n_val_epochs
        self.at_start = at_start
        self.max_episodes_rendered = max_episodes_rendered
        self._validations = 0

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not self.at_start or trainer.global_step > 0:  # a resumed run has its start point already
            return
        if trainer.is_global_zero:  # the loggers write on rank zero only
            scores = self._evaluate(trainer, pl_module)
            for logger in trainer.loggers:  # straight to the loggers, at step 0
                logger.log_metrics(scores, step=trainer.global_step)

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validations += 1
        if self._validations % self.every_n_val_epochs:
            return
        scores: dict[str, float] | None = (
            self._evaluate(trainer, pl_module) if trainer.is_global_zero else None
        )
        scores = trainer.strategy.broadcast(scores, src=0)
        assert scores is not None  # rank zero's, on every rank
        for name, value in scores.items():
            # The same value on every rank: the mean across ranks is that value, and monitors agree.
            pl_module.log(name, value, sync_dist=True)

    def _evaluate(self, trainer: Trainer, pl_module: LightningModule) -> dict[str, float]:
        from getiaction.policies.lerobot import LeRobotPolicyModule

        if not isinstance(pl_module, LeRobotPolicyModule):
            raise TypeError(f"RolloutEvaluation needs a getiaction policy, got {type(pl_module).__name__}")
        videos_dir = Path(trainer.default_root_dir) / "eval" / f"videos_step_{trainer.global_step:06d}"
        was_training = pl_module.training
        try:
            with (
                seeded_context(self.seed),
                opened_envs(
                    self.env, n_envs=self.eval.batch_size, use_async_envs=self.eval.use_async_envs
                ) as envs,
            ):
                info = evaluate(
                    policy_parts(pl_module),
                    envs,
                    self.env,
                    n_episodes=self.eval.n_episodes,
                    start_seed=self.seed,
                    videos_dir=videos_dir if self.max_episodes_rendered > 0 else None,
                    max_episodes_rendered=self.max_episodes_rendered,
                )
        finally:
            pl_module.reset()  # leave no rollout state (action queues) behind
            pl_module.train(was_training)
        overall = info["overall"]
        return {f"eval/{name}": float(overall[name]) for name in LOGGED}
