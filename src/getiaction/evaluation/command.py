"""``getiaction eval``: ``lerobot-eval``'s options and output, for a getiaction checkpoint or a LeRobot policy.

    getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --env.type=pusht \\
        --env.obs_type=environment_state_agent_pos --eval.n_episodes=50 --eval.batch_size=50 \\
        --eval.use_async_envs=false --seed=100000 --output_dir=outputs/eval
    getiaction eval --policy.path=my_pretrained_dir --env.type=aloha --env.task=AlohaTransferCube-v0

The options are ``lerobot-eval``'s (``lerobot.configs.eval.EvalPipelineConfig``), parsed by draccus the same
way: ``--env.type`` and ``--env.<field>`` choose and configure any environment the installed LeRobot registers
(plugins included), ``--eval.*`` is LeRobot's ``EvalConfig``, and ``--seed``, ``--output_dir``, ``--rename_map``,
``--trust_remote_code``, ``--job_name`` mean what they mean there. ``--policy`` (or ``--policy.path``) is a
Lightning checkpoint, a LeRobot pretrained directory or a hub repo id; ``--policy.device`` and
``--policy.use_amp`` override its saved config. ``--max_episodes_rendered`` is how many episodes per task are
filmed (``lerobot-eval`` films 10). The run is ``lerobot-eval``'s, step for step: seed, environments, policy,
``eval_policy_all`` (see ``delegate``), then ``eval_info.json`` in ``--output_dir``; this module adds a table of
the episodes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import draccus
from lerobot.configs import parser as lerobot_parser
from lerobot.configs.default import EvalConfig
from lerobot.envs.configs import EnvConfig
from lerobot.utils.import_utils import register_third_party_plugins
from lerobot.utils.random_utils import set_seed

from getiaction.errors import ConfigError, did_you_mean
from getiaction.evaluation.delegate import EvalInfo, evaluate, policy_parts
from getiaction.evaluation.environments import opened_envs

if TYPE_CHECKING:
    from getiaction.policies.lerobot import LeRobotPolicyModule

__all__ = ["EvalCommandConfig", "PolicySource", "format_results", "load_policy", "main", "parse"]

PROG = "getiaction eval"


@dataclass
class PolicySource:
    # A Lightning checkpoint (a .ckpt file), a LeRobot pretrained directory or a hub repo id (`--policy X`
    # is short for `--policy.path X`).
    path: str | None = None
    # Where the policy runs; the saved config's device by default, as in lerobot-eval.
    device: str | None = None
    # Autocast during rollouts; the saved config's `use_amp` by default.
    use_amp: bool | None = None


@dataclass
class EvalCommandConfig:
    """lerobot-eval's ``EvalPipelineConfig``, with a getiaction policy source."""

    env: EnvConfig
    policy: PolicySource = field(default_factory=PolicySource)
    eval: EvalConfig = field(default_factory=EvalConfig)
    # Where eval_info.json and the videos go; outputs/eval/<date>/<time>_<job_name> by default.
    output_dir: Path | None = None
    # <env type>_<policy type> by default.
    job_name: str | None = None
    # Episode i of each task is seeded seed + i; the global RNGs are seeded with it first.
    seed: int | None = 1000
    # Rename map for the observation to override the image and state keys.
    rename_map: dict[str, str] = field(default_factory=dict)
    # Explicit consent to execute remote code from the Hub (required for hub environments).
    trust_remote_code: bool = False
    # Episodes filmed per task (lerobot-eval films 10); none while recording.
    max_episodes_rendered: int = 10


def parse(argv: Sequence[str]) -> EvalCommandConfig:
    """``argv`` as ``lerobot-eval``'s parser reads it (plugins, ``--config_path``, draccus); errors are
    ``ConfigError`` naming the option. ``--help`` prints the options of the chosen ``--env.type`` and exits."""
    args = _expand_policy_shorthand(list(argv))
    for option, plugin in lerobot_parser.parse_plugin_args(
        lerobot_parser.PLUGIN_DISCOVERY_SUFFIX, args
    ).items():
        try:
            lerobot_parser.load_plugin(plugin)
        except lerobot_parser.PluginLoadError as error:
            raise ConfigError(f"--{option}: {error}") from error
        args = lerobot_parser.filter_arg(option, args)
    if "--help" in args or "-h" in args:
        lerobot_parser.print_scoped_help(EvalCommandConfig, args)
        raise SystemExit(0)
    config_path = lerobot_parser.parse_arg("config_path", args)
    args = lerobot_parser.filter_arg("config_path", args)
    try:
        config = draccus.parse(EvalCommandConfig, config_path=config_path, args=args, exit_on_error=False)
    except Exception as error:  # argparse's and draccus' errors, and any config's __post_init__
        raise ConfigError(_parse_error(error, args)) from error
    if not config.policy.path:
        raise ConfigError(
            "--policy: give a Lightning checkpoint (.ckpt), a LeRobot pretrained directory or a hub id"
        )
    return config


def _expand_policy_shorthand(args: list[str]) -> list[str]:
    expanded: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--policy" and index + 1 < len(args):
            expanded.append(f"--policy.path={args[index + 1]}")
            index += 2
            continue
        expanded.append(
            f"--policy.path={arg.removeprefix('--policy=')}" if arg.startswith("--policy=") else arg
        )
        index += 1
    return expanded


def _parse_error(error: Exception, args: Sequence[str]) -> str:
    if isinstance(error, draccus.utils.DecodingError) and error.key_path:
        return f"--{'.'.join(error.key_path)}: {error.message}"
    message = str(getattr(error, "message", None) or error)
    if "unrecognized arguments" in message:
        known = _known_options(args)
        for arg in args:
            name = arg.split("=", 1)[0]
            if name.startswith("--") and name not in known:
                message += did_you_mean(name, known)
    return f"{message} (`{PROG} --env.type=<type> --help` lists the options)"


def _known_options(args: Sequence[str]) -> list[str]:
    """The options of the command and of its nested configs, ``--env.*`` for the ``--env.type`` given."""
    env_type = lerobot_parser.get_type_arg("env", args)
    choices = EnvConfig.get_known_choices()
    nested: dict[str, Any] = {"policy": PolicySource, "eval": EvalConfig}
    if env_type in choices:
        nested["env"] = choices[env_type]
    options = [f"--{item.name}" for item in dataclasses.fields(EvalCommandConfig)]
    options += ["--config_path", f"--env.{draccus.CHOICE_TYPE_KEY}"]
    for prefix, cls in nested.items():
        options += [f"--{prefix}.{item.name}" for item in dataclasses.fields(cls)]
    return options


def load_policy(source: PolicySource) -> LeRobotPolicyModule[Any]:
    """The policy for inference, on its device: ``LeRobotPolicy.load_from_checkpoint`` for a file,
    ``LeRobotPolicy.from_pretrained`` for a directory or a hub id (the policy type is read from it)."""
    import torch

    from getiaction.policies.lerobot import LeRobotPolicy

    assert source.path is not None  # parse() refuses a command without one
    overrides: dict[str, Any] = {
        key: value
        for key, value in (("device", source.device), ("use_amp", source.use_amp))
        if value is not None
    }
    path = Path(source.path)
    if path.is_file():
        module: LeRobotPolicyModule[Any] = LeRobotPolicy.load_from_checkpoint(
            path, map_location="cpu", weights_only=True, **overrides
        )
    else:
        module = LeRobotPolicy.from_pretrained(source.path, **overrides)
    # As make_policy: the policy on its config's device (LeRobot picks an available one when loading).
    return module.to(torch.device(module.config.device or "cpu")).eval()


def main(argv: Sequence[str]) -> EvalInfo:
    """Run ``getiaction eval``: print the episodes, write ``eval_info.json``; return its content."""
    register_third_party_plugins()  # as lerobot-eval: plugins register their env and policy types first
    _quiet()
    config = parse(argv)
    if config.seed is not None:
        set_seed(config.seed)
    with opened_envs(
        config.env,
        n_envs=config.eval.batch_size,
        use_async_envs=config.eval.use_async_envs,
        trust_remote_code=config.trust_remote_code,
    ) as envs:
        module = load_policy(config.policy)
        output_dir = config.output_dir or _default_output_dir(
            config.job_name or f"{config.env.type}_{module.policy_type}"
        )
        recording = config.eval.recording
        print(
            f"{PROG}: {module.policy_type} policy from {config.policy.path} in {config.env.type} "
            f"({config.env.task}), {config.eval.n_episodes} episodes per task from seed {config.seed}, "
            f"{config.eval.batch_size} at a time",
            flush=True,
        )
        info = evaluate(
            policy_parts(module, rename_map=config.rename_map),
            envs,
            config.env,
            n_episodes=config.eval.n_episodes,
            start_seed=config.seed,
            videos_dir=None if recording else output_dir / "videos",
            max_episodes_rendered=0 if recording else config.max_episodes_rendered,
            recording_dir=output_dir / "recordings" if recording else None,
            recording_repo_id=config.eval.recording_repo_id,
            recording_private=config.eval.recording_private,
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    info_path = output_dir / "eval_info.json"
    with info_path.open("w") as file:  # as lerobot-eval writes it
        json.dump(info, file, indent=2)
    print(format_results(info, config.seed))
    videos = info["overall"].get("video_paths", [])
    print(
        f"{PROG}: wrote {info_path}"
        + (f" and {len(videos)} videos in {output_dir / 'videos'}" if videos else "")
    )
    return info


def _default_output_dir(job_name: str) -> Path:
    now = dt.datetime.now()  # lerobot-eval's default
    return Path("outputs/eval") / f"{now:%Y-%m-%d}" / f"{now:%H-%M-%S}_{job_name}"


def format_results(info: EvalInfo, seed: int | None) -> str:
    """A table of every episode of ``eval_info.json`` (the seed of episode ``i`` is ``seed + i``), then the
    overall scores."""
    lines = [f"{'task':<24} {'episode':>7} {'seed':>8} {'sum_reward':>11} {'max_reward':>11}  success"]
    for task in info["per_task"]:
        metrics = task["metrics"]
        name = f"{task['task_group']}/{task['task_id']}"
        for index, (total, best, success) in enumerate(
            zip(metrics["sum_rewards"], metrics["max_rewards"], metrics["successes"], strict=True)
        ):
            episode_seed = "-" if seed is None else str(seed + index)
            lines.append(
                f"{name:<24} {index:>7} {episode_seed:>8} {total:>11.4f} {best:>11.4f}  {'yes' if success else 'no'}"
            )
    overall = info["overall"]
    lines.append(
        f"overall: {overall['n_episodes']} episodes in {overall['eval_s']:.1f} s: avg_sum_reward "
        f"{overall['avg_sum_reward']:.4f}, avg_max_reward {overall['avg_max_reward']:.4f}, "
        f"pc_success {overall['pc_success']:.1f}%"
    )
    return "\n".join(lines)


def _quiet() -> None:
    """Silence notices of LeRobot's and the simulators' imports that say nothing about this run."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.getLogger("lerobot.configs.policies").setLevel(logging.ERROR)
