"""Offline quickstart on a real simulator: record PushT demonstrations, then roll a trained policy out.

    python -m getiaction.quickstart record --root .cache/quickstart/pusht_keypoints
    getiaction fit --config configs/quickstart_pusht_act.yaml
    python -m getiaction.quickstart evaluate --checkpoint outputs/quickstart/checkpoints/last.ckpt

Demonstrations come from a scripted controller in the ``gym-pusht`` simulator (PyPI), written in
LeRobot's dataset format with the observations of LeRobot's ``pusht_keypoints`` dataset: the agent's
position (``observation.state``) and the T block's 8 keypoints (``observation.environment_state``).
Nothing is downloaded: not the data, not pretrained weights.
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
FEATURES: dict[str, dict[str, Any]] = {
    "observation.state": {"dtype": "float32", "shape": (2,), "names": ["agent_x", "agent_y"]},
    "observation.environment_state": {"dtype": "float32", "shape": (16,), "names": None},
    "action": {"dtype": "float32", "shape": (2,), "names": ["target_x", "target_y"]},
    "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
}
MAX_STEP = 50.0  # pixels the scripted controller moves its target per step
# Points of the T (in its own frame) that the controller pushes toward their place in the goal pose.
_T_POINTS = np.array([[-45.0, 15.0], [45.0, 15.0], [0.0, 105.0]])
_T_CENTRE = np.array([0.0, 45.0])

Vector = npt.NDArray[np.float64]
# Chooses an action from the simulator (for the scripted controller) and its observation (for policies).
Chooser = Callable[[Any, dict[str, Any]], Vector]


def make_env() -> Any:
    import gymnasium as gym

    importlib.import_module("gym_pusht")  # registers gym_pusht/PushT-v0

    return gym.make(
        "gym_pusht/PushT-v0", obs_type="environment_state_agent_pos", max_episode_steps=MAX_EPISODE_STEPS
    )


def scripted_action(agent: Vector, block: Vector, goal: Vector) -> Vector:
    """Move at most ``MAX_STEP`` pixels toward the controller's waypoint (see ``waypoint``).

    Short steps keep the demonstration learnable: when an action may jump anywhere on the table, an
    imitating policy learns to echo the agent's own position (which is often nearly right) and stalls.

    Args:
        agent: The agent's position (x, y).
        block: The T's pose (x, y, angle).
        goal: The goal pose (x, y, angle).

    Returns:
        The agent's next target position, PushT's action.
    """
    offset = waypoint(agent, block, goal) - agent
    distance = float(np.linalg.norm(offset))
    step: Vector = agent + offset * min(1.0, MAX_STEP / max(distance, 1e-6))
    return step


def waypoint(agent: Vector, block: Vector, goal: Vector) -> Vector:
    """Push whichever point of the T is farthest from its goal place, from behind, toward it."""
    points, targets = _to_world(block, _T_POINTS), _to_world(goal, _T_POINTS)
    errors = targets - points
    distances = np.linalg.norm(errors, axis=1)
    worst = int(np.argmax(distances))
    direction = errors[worst] / max(distances[worst], 1e-6)
    point = points[worst]
    offset = agent - point
    along = offset @ direction
    if along < -20.0 and np.linalg.norm(offset - along * direction) < 12.0:
        push: Vector = point + direction * min(distances[worst], 30.0)  # lined up behind the point
        return push
    staging: Vector = point - direction * 65.0
    # Go around the T when the straight way to the staging point would run through it.
    centre = _to_world(block, _T_CENTRE[None])[0]
    path = staging - agent
    nearest = agent + np.clip((centre - agent) @ path / (path @ path + 1e-9), 0.0, 1.0) * path
    away = nearest - centre
    if np.linalg.norm(away) < 75.0:
        norm = np.linalg.norm(away)
        away = away / norm if norm > 1e-3 else np.array([-direction[1], direction[0]])
        around: Vector = centre + away * 110.0
        return around
    return staging


def _to_world(pose: Vector, local: Vector) -> Vector:
    cos, sin = np.cos(pose[2]), np.sin(pose[2])
    world: Vector = pose[:2] + local @ np.array([[cos, sin], [-sin, cos]])
    return world


def scripted(env: Any, observation: dict[str, Any]) -> Vector:
    """The scripted controller as a ``Chooser``: it reads the simulator's exact state."""
    return scripted_action(*_state(env))


def _state(env: Any) -> tuple[Vector, Vector, Vector]:
    sim = env.unwrapped
    block = np.array([*sim.block.position, sim.block.angle])
    return np.array(sim.agent.position), block, np.array(sim.goal_pose)


def record(root: Path, episodes: int = 60, seed: int = 0, noise: float = 20.0) -> Path:
    """Record ``episodes`` scripted demonstrations into a LeRobot dataset at ``root`` (reused if present).

    The simulator executes the controller's action plus Gaussian noise (``noise`` pixels), while the
    dataset keeps the controller's clean action: demonstrations then show how to recover from small
    mistakes, which an imitating policy will make (DART, Laskey et al. 2017).
    """
    from lerobot.datasets import LeRobotDataset

    marker = root / "meta" / "quickstart.json"
    wanted = {"episodes": episodes, "seed": seed, "noise": noise, "features": sorted(FEATURES)}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        print(f"quickstart: reusing the {episodes} recorded PushT episodes in {root}")
        return root
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    env = make_env()
    rng = np.random.default_rng(seed)
    dataset = LeRobotDataset.create(REPO_ID, fps=FPS, features=FEATURES, root=root, use_videos=False)
    rewards = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        best = 0.0
        for _ in range(MAX_EPISODE_STEPS):
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


def rollout(
    choose: Chooser, episodes: int, seed: int, reset: Callable[[], None] | None = None
) -> list[float]:
    """Max reward (PushT's coverage of the goal; 1.0 is success) of each episode."""
    env = make_env()
    results = []
    for episode in range(episodes):
        observation, _ = env.reset(seed=seed + episode)
        if reset is not None:
            reset()
        best = 0.0
        for _ in range(MAX_EPISODE_STEPS):
            action = np.asarray(choose(env, observation), dtype=np.float32).reshape(2)
            observation, reward, terminated, truncated, _ = env.step(action)
            best = max(best, float(reward))
            if terminated or truncated:
                break
        results.append(best)
    env.close()
    return results


def evaluate(checkpoint: Path, episodes: int = 10, seed: int = 100_000) -> dict[str, float]:
    """Roll the trained policy, a random one and the scripted controller out from the same unseen starts."""
    import torch
    from lerobot.envs.utils import preprocess_observation

    from getiaction.policies.lerobot import ACT

    policy = ACT.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True).eval()

    def trained(env: Any, observation: dict[str, Any]) -> Vector:
        action: Vector = policy.select_action(preprocess_observation(observation)).numpy().astype(np.float64)
        return action

    rng = np.random.default_rng(seed)

    def random(env: Any, observation: dict[str, Any]) -> Vector:
        return rng.uniform(0.0, 512.0, size=2)

    started = time.perf_counter()
    with torch.inference_mode():
        results = {"trained": float(np.mean(rollout(trained, episodes, seed, reset=policy.reset)))}
    results["random"] = float(np.mean(rollout(random, episodes, seed)))
    results["scripted"] = float(np.mean(rollout(scripted, episodes, seed)))
    print(
        f"quickstart: {episodes} PushT episodes from start states unseen in training "
        f"({time.perf_counter() - started:.0f} s). Mean max reward (coverage of the target, 1 = solved):\n"
        f"  trained ACT:                 {results['trained']:.3f}\n"
        f"  random policy:               {results['random']:.3f}\n"
        f"  scripted demonstrator:       {results['scripted']:.3f}"
    )
    return results


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m getiaction.quickstart", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    record_parser = commands.add_parser("record", help="record scripted PushT demonstrations")
    record_parser.add_argument("--root", type=Path, default=Path(".cache/quickstart/pusht_keypoints"))
    record_parser.add_argument("--episodes", type=int, default=60)
    record_parser.add_argument("--seed", type=int, default=0)
    evaluate_parser = commands.add_parser(
        "evaluate", help="roll a trained ACT checkpoint out next to a random policy"
    )
    evaluate_parser.add_argument("--checkpoint", type=Path, required=True)
    evaluate_parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args.root, args.episodes, args.seed)
    else:
        evaluate(args.checkpoint, args.episodes)


if __name__ == "__main__":
    main()
