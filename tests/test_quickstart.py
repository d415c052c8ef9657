"""The quickstart at tiny scale: record PushT demonstrations, fit through the CLI, evaluate, report."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

quickstart = pytest.importorskip("getiaction.quickstart")
pytest.importorskip("gym_pusht", reason="the quickstart's simulator (gym-pusht) is not installed")

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "quickstart_pusht_act.yaml"


@pytest.fixture(scope="module")
def pusht_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short scripted PushT episodes, recorded once for this module."""
    root: Path = quickstart.record(
        tmp_path_factory.mktemp("pusht") / "data", episodes=2, seed=3, max_steps=40
    )
    return root


def test_recorder_writes_a_lerobot_dataset_and_reuses_it(pusht_root: Path) -> None:
    from lerobot.datasets import LeRobotDataset

    dataset = LeRobotDataset(quickstart.REPO_ID, root=pusht_root)
    assert dataset.num_episodes == 2
    assert 2 <= dataset.num_frames <= 2 * 40
    frame = dataset[0]
    assert frame["observation.state"].shape == (2,)
    assert frame["observation.environment_state"].shape == (16,)
    assert frame["action"].shape == (2,)
    rewards = np.array([dataset[i]["next.reward"].item() for i in range(dataset.num_frames)])
    assert ((rewards >= 0) & (rewards <= 1)).all()

    stamp = (pusht_root / "data").stat().st_mtime_ns
    quickstart.record(pusht_root, episodes=2, seed=3, max_steps=40)  # same request: nothing recorded again
    assert (pusht_root / "data").stat().st_mtime_ns == stamp


def test_the_keypoints_give_the_simulators_own_t_centre() -> None:
    """The demonstrator reads the T's centre off the observation; the simulator knows it from the T's pose."""
    import gymnasium as gym

    env = gym.make("gym_pusht/PushT-v0", obs_type="environment_state_agent_pos")
    for seed in range(5):
        observation, _ = env.reset(seed=seed)
        block = env.unwrapped.block  # type: ignore[attr-defined]
        centre = np.array(block.local_to_world(block.center_of_gravity))
        np.testing.assert_allclose(
            quickstart.block_centre(observation["environment_state"]), centre, atol=1e-9
        )
    env.close()


def test_demonstrator_actions_are_short_steps_inside_the_arena() -> None:
    agent, centre = np.array([100.0, 100.0]), np.array([300.0, 330.0])
    action = quickstart.scripted_action(agent, centre)
    assert np.linalg.norm(action - agent) <= quickstart.MAX_STEP + 1e-6
    assert ((action >= 0) & (action <= 512)).all()


def test_scripted_demonstrator_beats_a_random_policy_in_lerobots_evaluator() -> None:
    from getiaction.quickstart.report import evaluate_baselines

    scores = evaluate_baselines(3, seed=11, episode_length=150)
    assert scores["random"]["n_episodes"] == scores["demonstrator"]["n_episodes"] == 3
    assert scores["demonstrator"]["avg_max_reward"] > scores["random"]["avg_max_reward"] + 0.2


def test_quickstart_stages_at_tiny_scale(
    pusht_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The quickstart's own config through `getiaction fit`, then `getiaction eval` and the report."""
    from getiaction.cli import main as getiaction_main
    from getiaction.cli import run_cli

    config = yaml.safe_load(CONFIG.read_text())
    trainer = config["trainer"]
    trainer.update(max_steps=4, val_check_interval=2, log_every_n_steps=1, default_root_dir=str(tmp_path))
    for logger in trainer["logger"]:
        logger["init_args"]["save_dir"] = str(tmp_path)
    checkpoint, rollouts = trainer["callbacks"]
    checkpoint["init_args"].update(dirpath=str(tmp_path / "checkpoints"), every_n_train_steps=2)
    rollouts["init_args"].update(n_episodes=2, batch_size=2, every_n_val_epochs=1)
    rollouts["init_args"]["env"]["episode_length"] = 5
    config["model"]["init_args"].update(dim_model=16, n_heads=2, dim_feedforward=32, n_encoder_layers=1)
    config["data"]["init_args"].update(root=str(pusht_root), eval_split=0.5, batch_size=8, num_workers=0)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))

    cli = run_cli(["fit", "--config", str(path), "--trainer.enable_progress_bar", "false"])
    assert cli.trainer.global_step == 4
    assert {"eval/avg_max_reward", "eval/pc_success"} <= set(cli.trainer.callback_metrics)
    logs = tmp_path / "logs" / "fit"
    assert (logs / "metrics.csv").is_file() and list(logs.glob("events.out.tfevents.*"))
    with (logs / "metrics.csv").open() as file:
        scored = [int(row["step"]) for row in csv.DictReader(file) if row.get("eval/avg_max_reward")]
    assert scored[0] == 0 and len(scored) >= 2  # before training, then after validations

    eval_dir = tmp_path / "eval"
    getiaction_main(
        [
            "eval",
            "--policy",
            str(tmp_path / "checkpoints" / "last.ckpt"),
            "--env.type=pusht",
            "--env.obs_type=environment_state_agent_pos",
            "--env.episode_length=5",
            "--eval.n_episodes=2",
            "--eval.batch_size=2",
            "--eval.use_async_envs=false",
            "--seed=100000",
            "--max_episodes_rendered=1",
            f"--output_dir={eval_dir}",
        ]
    )
    info = json.loads((eval_dir / "eval_info.json").read_text())
    assert info["overall"]["n_episodes"] == 2 and len(info["overall"]["video_paths"]) == 1

    scores = quickstart_report(eval_dir, logs, tmp_path / "quickstart.png")
    assert set(scores) == {"trained", "random", "demonstrator"}
    assert scores["trained"] == info["overall"]["avg_max_reward"]
    assert (tmp_path / "quickstart.png").stat().st_size > 10_000
    comparison = json.loads((eval_dir / "comparison.json").read_text())
    assert comparison["seed"] == 100_000 and comparison["n_episodes"] == 2
    out = capsys.readouterr().out
    assert "trained policy" in out and "wrote" in out


def quickstart_report(eval_dir: Path, logs: Path, plot: Path) -> dict[str, float]:
    from getiaction.quickstart.report import report

    scores: dict[str, float] = report(eval_dir, logs, plot, seed=100_000, episode_length=5)
    return scores
