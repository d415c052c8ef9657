"""Evaluation in simulation, delegated to LeRobot's own evaluator (``lerobot-eval``).

Every module has one concern:

- ``environments``: LeRobot's environment configs and environments, with errors that say what to install;
- ``delegate``: rollouts, aggregation and videos by ``lerobot.scripts.lerobot_eval.eval_policy_all``;
- ``command``: ``getiaction eval``, lerobot-eval's options and ``eval_info.json`` for a getiaction policy;
- ``callback``: ``RolloutEvaluation``, the same evaluation during training (Lightning).

Importing this package imports none of them; each name loads its module on first use.
"""

from typing import TYPE_CHECKING

from getiaction._lazy import lazy_exports

if TYPE_CHECKING:
    from getiaction.evaluation.callback import RolloutEvaluation
    from getiaction.evaluation.command import EvalCommandConfig, format_results, load_policy, main
    from getiaction.evaluation.delegate import EvalInfo, PolicyParts, evaluate, policy_parts
    from getiaction.evaluation.environments import env_config, make_envs
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "RolloutEvaluation": "getiaction.evaluation.callback",
            "EvalCommandConfig": "getiaction.evaluation.command",
            "format_results": "getiaction.evaluation.command",
            "load_policy": "getiaction.evaluation.command",
            "main": "getiaction.evaluation.command",
            "EvalInfo": "getiaction.evaluation.delegate",
            "PolicyParts": "getiaction.evaluation.delegate",
            "evaluate": "getiaction.evaluation.delegate",
            "policy_parts": "getiaction.evaluation.delegate",
            "env_config": "getiaction.evaluation.environments",
            "make_envs": "getiaction.evaluation.environments",
        },
    )

__all__ = [
    "EvalCommandConfig",
    "EvalInfo",
    "PolicyParts",
    "RolloutEvaluation",
    "env_config",
    "evaluate",
    "format_results",
    "load_policy",
    "main",
    "make_envs",
    "policy_parts",
]
