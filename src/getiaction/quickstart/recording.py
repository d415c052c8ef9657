"""Recording the scripted demonstrator's PushT episodes as a LeRobot dataset (the quickstart's training data).

The dataset has the observations of LeRobot's ``pusht_keypoints``: the agent's position (``observation.state``)
and the T's 8 keypoints (``observation.environment_state``). LeRobot's own recorder (``lerobot-eval
--eval.recording``) cannot write it: it keeps the environment's raw keys (``agent_pos``) and the action that was
executed, where these demonstrations execute a noisy action and keep the clean one (below).
"""

from __future__ import annotations

import importlib
import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from getiaction.quickstart.demonstrator import ARENA, block_centre, scripted_action

__all__ = ["EPISODES", "FEATURES", "FPS", "MAX_EPISODE_STEPS", "REPO_ID", "TASK", "record"]

REPO_ID = "local/pusht_keypoints"
FPS = 10  # PushT's control frequency
MAX_EPISODE_STEPS = 300
EPISODES = 60  # demonstrations recorded
TASK = "Push the T-shaped block onto the T-shaped target."
FEATURES: dict[str, dict[str, Any]] = {
    "observation.state": {"dtype": "float32", "shape": (2,), "names": ["agent_x", "agent_y"]},
    "observation.environment_state": {"dtype": "float32", "shape": (16,), "names": None},
    "action": {"dtype": "float32", "shape": (2,), "names": ["target_x", "target_y"]},
    "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
}


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
    import gymnasium as gym
    from lerobot.datasets import LeRobotDataset

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
    importlib.import_module("gym_pusht")  # registers gym_pusht/PushT-v0
    env = gym.make("gym_pusht/PushT-v0", obs_type="environment_state_agent_pos", max_episode_steps=max_steps)
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
            agent, keypoints = observation["agent_pos"], observation["environment_state"]
            action = scripted_action(agent, block_centre(keypoints)).astype(np.float32)
            executed = np.clip(action + rng.normal(0.0, noise, size=2), 0.0, ARENA).astype(np.float32)
            next_observation, reward, terminated, truncated, _ = env.step(executed)
            dataset.add_frame(
                {
                    "observation.state": agent.astype(np.float32),
                    "observation.environment_state": keypoints.astype(np.float32),
                    "action": action,
                    "next.reward": np.array([reward], dtype=np.float32),
                    "task": TASK,
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
