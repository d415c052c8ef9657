"""Offline quickstart on a real simulator: record PushT demonstrations, train, evaluate, compare.

    python -m getiaction.quickstart record --root .cache/quickstart/pusht_keypoints
    getiaction fit --config configs/quickstart_pusht_act.yaml
    getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --output-dir outputs/quickstart/eval
    python -m getiaction.quickstart report --eval-dir outputs/quickstart/eval --logs outputs/quickstart/logs/fit

Demonstrations come from a scripted controller in the ``gym-pusht`` simulator (PyPI), written in
LeRobot's dataset format with the observations of LeRobot's ``pusht_keypoints`` dataset: the agent's
position (``observation.state``) and the T block's 8 keypoints (``observation.environment_state``).
Nothing is downloaded: not the data, not pretrained weights. ``report`` rolls a random policy and the
demonstrator out from the trained policy's start states and plots the training curves.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

REPO_ID = "local/pusht_keypoints"
FPS = 10  # PushT's control frequency
MAX_EPISODE_STEPS = 300
EPISODES = 60  # demonstrations recorded
FEATURES: dict[str, dict[str, Any]] = {
    "observation.state": {"dtype": "float32", "shape": (2,), "names": ["agent_x", "agent_y"]},
    "observation.environment_state": {"dtype": "float32", "shape": (16,), "names": None},
    "action": {"dtype": "float32", "shape": (2,), "names": ["target_x", "target_y"]},
    "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
}
MAX_STEP = 50.0  # pixels the scripted controller moves its target per step
STANDOFF = 60.0  # pixels behind the T's centre where the controller lines up to push
_T_CENTRE = np.array([0.0, 45.0])  # the T's centre of mass, in its own frame

Vector = npt.NDArray[np.float64]


def make_env() -> Any:
    import gymnasium as gym

    importlib.import_module("gym_pusht")  # registers gym_pusht/PushT-v0

    return gym.make(
        "gym_pusht/PushT-v0", obs_type="environment_state_agent_pos", max_episode_steps=MAX_EPISODE_STEPS
    )


def scripted_action(agent: Vector, block: Vector, goal: Vector) -> Vector:
    """Push the T's centre toward the goal's centre: PushT's scripted demonstrator.

    Behind the T (on the far side from the goal) and lined up with it, the controller pushes toward
    the goal, correcting sideways drift; elsewhere it heads for a staging point ``STANDOFF`` pixels
    behind the centre, going around the T when the straight way runs through it. The two blend
    smoothly near the line, and each target is at most ``MAX_STEP`` pixels from the agent.

    It is built to be imitated: the action is a function of the current observation alone (no hidden
    phase), continuous almost everywhere, with one decision (which way around the T) where it is not.
    A controller that also turns the T (pushing whichever of three points is farthest from its place)
    scores a little higher but switches target abruptly, and a policy trained on it for a few CPU
    minutes does no better than a random one.

    Args:
        agent: The agent's position (x, y).
        block: The T's pose (x, y, angle).
        goal: The goal pose (x, y, angle).

    Returns:
        The agent's next target position, PushT's action.
    """
    centre, target = _to_world(block, _T_CENTRE[None])[0], _to_world(goal, _T_CENTRE[None])[0]
    error = target - centre
    direction = error / max(float(np.linalg.norm(error)), 1e-6)
    offset = agent - centre
    along = float(offset @ direction)
    sideways = offset - along * direction
    push = agent + direction * MAX_STEP - 0.7 * sideways
    staging = _around(agent, centre - direction * STANDOFF, centre)
    lined_up = (1.0 - _smoothstep((float(np.linalg.norm(sideways)) - 12.0) / 18.0)) * _smoothstep(
        (-along - 10.0) / 15.0
    )
    goal_point = lined_up * push + (1.0 - lined_up) * staging
    step = goal_point - agent
    distance = float(np.linalg.norm(step))
    action: Vector = agent + step * min(1.0, MAX_STEP / max(distance, 1e-6))
    return action


def _around(agent: Vector, point: Vector, centre: Vector, radius: float = 75.0) -> Vector:
    """``point``, or a detour beside the T when the straight way from ``agent`` crosses it."""
    path = point - agent
    nearest = agent + np.clip((centre - agent) @ path / (path @ path + 1e-9), 0.0, 1.0) * path
    away = nearest - centre
    norm = float(np.linalg.norm(away))
    if norm >= radius:
        return point
    if norm < 1e-3:  # heading straight through the centre: step to one side
        away = np.array([-path[1], path[0]])
        norm = float(np.linalg.norm(away)) + 1e-9
    detour: Vector = centre + away / norm * (radius + 35.0)
    return detour


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def _to_world(pose: Vector, local: Vector) -> Vector:
    cos, sin = np.cos(pose[2]), np.sin(pose[2])
    world: Vector = pose[:2] + local @ np.array([[cos, sin], [-sin, cos]])
    return world


def scripted(env: Any, observation: dict[str, Any]) -> Vector:
    """The scripted controller's action in ``env`` (a single environment): it reads the exact state."""
    return scripted_action(*_state(env))


def _state(env: Any) -> tuple[Vector, Vector, Vector]:
    sim = env.unwrapped
    block = np.array([*sim.block.position, sim.block.angle])
    return np.array(sim.agent.position), block, np.array(sim.goal_pose)


def record(
    root: Path,
    episodes: int = EPISODES,
    seed: int = 0,
    noise: float = 20.0,
    max_steps: int = MAX_EPISODE_STEPS,
) -> Path:
    """Record ``episodes`` scripted demonstrations into a LeRobot dataset at ``root`` (reused if present).

    The simulator executes the controller's action plus Gaussian noise (``noise`` pixels), while the
    dataset keeps the controller's clean action: demonstrations then show how to recover from small
    mistakes, which an imitating policy will make (DART, Laskey et al. 2017).
    """
    from getiaction._lerobot.compat import LeRobotDataset

    marker = root / "meta" / "quickstart.json"
    wanted = {
        "episodes": episodes,
        "seed": seed,
        "noise": noise,
        "max_steps": max_steps,
        "demonstrator": "centre",
        "features": sorted(FEATURES),
    }
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"quickstart: reusing the {episodes} recorded PushT episodes in {root}")
        return root
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    env = make_env()
    rng = np.random.default_rng(seed)
    # Naming the decoder skips LeRobot's probe of torchcodec, whose failure without a system FFmpeg prints a
    # long traceback; the dataset stores no video anyway.
    dataset = LeRobotDataset.create(
        REPO_ID, fps=FPS, features=FEATURES, root=root, use_videos=False, video_backend="pyav"
    )
    rewards = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        best = 0.0
        for _ in range(max_steps):
            action = np.clip(scripted(env, observation), 0.0, 512.0).astype(np.float32)
            executed = np.clip(action + rng.normal(0.0, noise, size=2), 0.0, 512.0).astype(np.float32)
            next_observation, reward, terminated, truncated, _ = env.step(executed)
            dataset.add_frame(
                {
                    "observation.state": observation["agent_pos"].astype(np.float32),
                    "observation.environment_state": observation["environment_state"].astype(np.float32),
                    "action": action,
                    "next.reward": np.array([reward], dtype=np.float32),
                    "task": "Push the T-shaped block onto the T-shaped target.",
                }
            )
            best = max(best, float(reward))
            observation = next_observation
            if terminated or truncated:
                break
        dataset.save_episode()
        rewards.append(best)
    finalize: Callable[[], None] = dataset.finalize  # untyped upstream
    finalize()
    env.close()
    marker.write_text(json.dumps(wanted))
    print(
        f"quickstart: recorded {episodes} PushT episodes ({dataset.meta.total_frames} frames) in "
        f"{time.perf_counter() - started:.0f} s; scripted controller's mean max reward {np.mean(rewards):.3f}"
    )
    return root


class ScriptedActor:
    """The scripted demonstrator as an ``evaluation.Actor``: it reads each simulator's exact state."""

    def reset(self) -> None:
        pass

    def __call__(self, observation: dict[str, Any], env: Any) -> npt.NDArray[np.float32]:
        actions = [scripted_action(*_state(sub_env)) for sub_env in env.envs]
        return np.clip(np.stack(actions), 0.0, 512.0).astype(np.float32)


def report(
    eval_dir: Path,
    logs: Path | None = None,
    plot: Path | None = None,
    *,
    max_episode_steps: int | None = None,
    progress: bool = True,
) -> dict[str, float]:
    """Compare the trained policy's ``getiaction eval`` results with a random policy and the demonstrator.

    Both baselines roll out from the same start states as the trained policy (the seeds in
    ``eval_dir/eval_info.json``). Writes ``eval_dir/comparison.json`` and, with ``logs`` (the CSV
    logger's directory), a plot of the training curves and scores at ``plot``.
    """
    from getiaction import evaluation

    info = json.loads((eval_dir / "eval_info.json").read_text())
    seeds = [episode["seed"] for episode in info["per_episode"]]
    episodes, first = len(seeds), min(seeds)
    if seeds != list(range(first, first + episodes)):
        raise ValueError(f"{eval_dir / 'eval_info.json'}: expected consecutive seeds, got {seeds}")
    kwargs = {"obs_type": "environment_state_agent_pos"}
    scores = {"trained": float(info["aggregated"]["avg_max_reward"])}
    for name, actor in (("random", evaluation.RandomActor(seed=first)), ("demonstrator", ScriptedActor())):
        result = evaluation.evaluate(
            actor,
            episodes=episodes,
            env_kwargs=kwargs,
            seed=first,
            max_episode_steps=max_episode_steps,
            progress=progress,
            description=name,
        )
        scores[name] = result.aggregated["avg_max_reward"]
    (eval_dir / "comparison.json").write_text(
        json.dumps({"avg_max_reward": scores, "seeds": seeds}, indent=2)
    )
    learned = scores["trained"] >= 2 * scores["random"] and scores["trained"] >= scores["demonstrator"] / 2
    print(
        f"quickstart: {episodes} PushT episodes from start states unseen in training. Mean max reward "
        "(coverage of the target, 1 = solved):\n"
        f"  trained policy:         {scores['trained']:.3f}\n"
        f"  random policy:          {scores['random']:.3f}\n"
        f"  scripted demonstrator:  {scores['demonstrator']:.3f}\n"
        + (
            "  The policy learned: at least twice the random score and half the demonstrator's."
            if learned
            else "  The policy did not reach twice the random score and half the demonstrator's."
        )
    )
    if logs is not None and plot is not None:
        plot_curves(logs / "metrics.csv", plot, scores)
        print(f"quickstart: wrote {plot}")
    return scores


def plot_curves(metrics: Path, path: Path, baselines: dict[str, float]) -> Path:
    """Training and validation loss, and the rollout score logged during training, against steps."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, tuple[list[float], list[float]]] = {}
    with metrics.open() as file:
        for row in csv.DictReader(file):
            for key, value in row.items():
                if key != "step" and value not in ("", None) and row.get("step"):
                    steps, values = series.setdefault(key, ([], []))
                    steps.append(float(row["step"]))
                    values.append(float(value))
    figure, (losses, score) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for key, label in (("train/loss", "train"), ("val/loss", "validation")):
        if key in series:
            losses.plot(*series[key], label=label, marker="o" if key.startswith("val") else None)
    losses.set(
        xlabel="step", ylabel="loss (L1, normalised actions)", yscale="log", title="Behaviour cloning loss"
    )
    losses.legend()
    if "eval/avg_max_reward" in series:
        score.plot(*series["eval/avg_max_reward"], marker="o", label="policy during training")
    colours = {"trained": "C0", "random": "C3", "demonstrator": "C2"}
    names = {"trained": "trained (final eval)", "random": "random policy", "demonstrator": "demonstrator"}
    for name, value in baselines.items():
        score.axhline(
            value,
            linestyle="--",
            color=colours.get(name, "grey"),
            label=f"{names.get(name, name)} {value:.2f}",
        )
    score.set(xlabel="step", ylabel="mean max reward (coverage)", ylim=(0, 1), title="PushT rollouts")
    score.set_xlim(losses.get_xlim())
    score.legend(loc="upper left", fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m getiaction.quickstart", description=(__doc__ or "").split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    record_parser = commands.add_parser("record", help="record scripted PushT demonstrations")
    record_parser.add_argument("--root", type=Path, default=Path(".cache/quickstart/pusht_keypoints"))
    record_parser.add_argument("--episodes", type=int, default=EPISODES)
    record_parser.add_argument("--seed", type=int, default=0)
    report_parser = commands.add_parser(
        "report", help="compare `getiaction eval` results with a random policy and the demonstrator; plot"
    )
    report_parser.add_argument("--eval-dir", type=Path, default=Path("outputs/quickstart/eval"))
    report_parser.add_argument("--logs", type=Path, default=None, help="the CSV logger's directory")
    report_parser.add_argument("--plot", type=Path, default=Path("outputs/quickstart/quickstart.png"))
    report_parser.add_argument(
        "--max-episode-steps", type=int, default=None, help="as given to getiaction eval"
    )
    args = parser.parse_args(argv)
    _quiet()
    if args.command == "record":
        record(args.root, args.episodes, args.seed)
    else:
        report(args.eval_dir, args.logs, args.plot, max_episode_steps=args.max_episode_steps)


def _quiet() -> None:
    """Keep LeRobot's and ``datasets``' notices that say nothing about this run out of the output."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.getLogger("lerobot.configs.policies").setLevel(logging.ERROR)
    try:
        from datasets.utils.logging import disable_progress_bar
    except ImportError:
        return
    disable_progress_bar()


if __name__ == "__main__":
    main()
