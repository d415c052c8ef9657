"""The quickstart's real-simulator pieces: the PushT recorder and its scripted demonstrator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

quickstart = pytest.importorskip("getiaction.quickstart")
pytest.importorskip("gym_pusht", reason="the quickstart's simulator (gym-pusht) is not installed")


def test_recorder_writes_a_lerobot_dataset_and_reuses_it(tmp_path: Path) -> None:
    from lerobot.datasets import LeRobotDataset

    root = quickstart.record(tmp_path / "pusht", episodes=2, seed=3)
    dataset = LeRobotDataset(quickstart.REPO_ID, root=root)
    assert dataset.num_episodes == 2
    assert 2 <= dataset.num_frames <= 2 * quickstart.MAX_EPISODE_STEPS
    frame = dataset[0]
    assert frame["observation.state"].shape == (2,)
    assert frame["observation.environment_state"].shape == (16,)
    assert frame["action"].shape == (2,)
    rewards = np.array([dataset[i]["next.reward"].item() for i in range(dataset.num_frames)])
    assert ((rewards >= 0) & (rewards <= 1)).all() and rewards.max() > 0

    stamp = (root / "data").stat().st_mtime_ns
    quickstart.record(root, episodes=2, seed=3)  # same request: nothing recorded again
    assert (root / "data").stat().st_mtime_ns == stamp


def test_scripted_demonstrator_beats_a_random_policy() -> None:
    rng = np.random.default_rng(0)
    scripted = quickstart.rollout(quickstart.scripted, episodes=3, seed=11)
    random = quickstart.rollout(lambda env, obs: rng.uniform(0, 512, size=2), episodes=3, seed=11)
    assert np.mean(scripted) > np.mean(random) + 0.2
