"""``getiaction eval`` and ``RolloutEvaluation`` against LeRobot's own ``lerobot-eval``.

lerobot-eval runs in this process as its console script runs it (``eval_main`` parsing ``sys.argv``), on a
policy saved in LeRobot's format; ``getiaction eval`` runs as ``getiaction`` runs it (``getiaction.cli.main``),
on the same directory or on a Lightning checkpoint of the same weights. The episodes must agree exactly:
rewards and successes to the last bit, and the videos frame for frame (they film every step of the first
episodes, so a trajectory that differs anywhere shows).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

pytest.importorskip("gym_pusht", reason="the evaluation tests roll out in gym-pusht")
# MuJoCo's simulators (ALOHA) render headless through EGL here; OSMesa is not installed, GLFW needs a display.
os.environ.setdefault("MUJOCO_GL", "egl")

from lerobot.configs.types import FeatureType, PolicyFeature

from getiaction.cli import main as getiaction_main

TESTS = Path(__file__).resolve().parent
OFFLINE_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
# PushT with the keypoint observations, 5 short episodes in batches of 3 (the last one partly discarded),
# filmed small.
PUSHT = [
    "--env.type=pusht",
    "--env.obs_type=environment_state_agent_pos",
    "--env.episode_length=12",
    "--env.visualization_width=96",
    "--env.visualization_height=96",
    "--eval.n_episodes=5",
    "--eval.batch_size=3",
    "--eval.use_async_envs=false",
    "--seed=3",
]


def tiny_pusht_act(path: Path) -> tuple[Path, Path]:
    """A tiny ACT for PushT's keypoints, one Lightning step trained: its pretrained directory and checkpoint."""
    import lightning

    from getiaction.policies.lerobot import ACT

    torch.manual_seed(0)  # the same weights every time
    features = {
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(2,)),
        "observation.environment_state": PolicyFeature(type=FeatureType.ENV, shape=(16,)),
        "action": PolicyFeature(type=FeatureType.ACTION, shape=(2,)),
    }
    stats = {
        key: {"min": torch.zeros(feature.shape), "max": torch.full(feature.shape, 512.0)}
        for key, feature in features.items()
    }
    policy = ACT(
        input_features=features,
        output_features=features,
        stats=stats,
        dim_model=16,
        n_heads=2,
        dim_feedforward=32,
        n_encoder_layers=1,
        n_decoder_layers=1,
        chunk_size=2,
        n_action_steps=1,
        use_vae=False,
        pretrained_backbone_weights=None,
        normalization_mapping={"STATE": "MIN_MAX", "ENV": "MIN_MAX", "ACTION": "MIN_MAX"},
    )
    batch = {
        "observation.state": torch.rand(8, 2) * 512,
        "observation.environment_state": torch.rand(8, 16) * 512,
        "action": torch.rand(8, 2, 2) * 512,
        "action_is_pad": torch.zeros(8, 2, dtype=torch.bool),
    }
    trainer = lightning.Trainer(
        accelerator="cpu",
        max_steps=1,
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        enable_checkpointing=False,
        default_root_dir=path,
    )
    trainer.fit(policy, torch.utils.data.DataLoader([batch], batch_size=None))
    checkpoint = path / "act.ckpt"
    trainer.save_checkpoint(checkpoint)
    return policy.save_pretrained(path / "act"), checkpoint


@pytest.fixture(scope="module")
def pusht_policy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return tiny_pusht_act(tmp_path_factory.mktemp("policy"))


def lerobot_eval(monkeypatch: pytest.MonkeyPatch, *args: str) -> dict[str, Any]:
    """LeRobot's own lerobot-eval, as its console script calls it (minus its logging set-up)."""
    from lerobot.scripts import lerobot_eval as upstream
    from lerobot.utils.import_utils import register_third_party_plugins

    output_dir = next(arg.split("=", 1)[1] for arg in args if arg.startswith("--output_dir="))
    with monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["lerobot-eval", *args])
        register_third_party_plugins()
        upstream.eval_main()
    info: dict[str, Any] = json.loads((Path(output_dir) / "eval_info.json").read_text())
    return info


def getiaction_eval(*args: str) -> dict[str, Any]:
    getiaction_main(["eval", *args])
    output_dir = next(arg.split("=", 1)[1] for arg in args if arg.startswith("--output_dir="))
    info: dict[str, Any] = json.loads((Path(output_dir) / "eval_info.json").read_text())
    return info


def keys(value: Any) -> Any:
    """The key structure of a JSON document (lists by their first element)."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [keys(value[0])] if value else []
    return None


def decoded(path: Path) -> list[Any]:
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24").astype(int) for frame in container.decode(video=0)]


def assert_same_video(ours: Path, theirs: Path) -> None:
    """The same frames, up to H.264's rounding: lerobot-eval encodes in threads while it rolls out, and two of
    its own runs differ by up to 2 levels. A trajectory that differs moves the agent's disc (255 levels)."""
    mine, upstream = decoded(ours), decoded(theirs)
    assert len(mine) == len(upstream), ours
    for index, (frame, other) in enumerate(zip(mine, upstream, strict=True)):
        assert abs(frame - other).max() <= 8, (ours, index)


def assert_same_episodes(
    ours: dict[str, Any], theirs: dict[str, Any], ours_dir: Path, theirs_dir: Path
) -> None:
    assert keys(ours) == keys(theirs)
    assert [(t["task_group"], t["task_id"]) for t in ours["per_task"]] == [
        (t["task_group"], t["task_id"]) for t in theirs["per_task"]
    ]
    for mine, upstream in zip(ours["per_task"], theirs["per_task"], strict=True):
        for metric in ("sum_rewards", "max_rewards", "successes"):
            assert mine["metrics"][metric] == upstream["metrics"][metric], metric
        videos = [Path(path).relative_to(ours_dir) for path in mine["metrics"]["video_paths"]]
        assert videos == [Path(path).relative_to(theirs_dir) for path in upstream["metrics"]["video_paths"]]
        for video in videos:
            assert_same_video(ours_dir / video, theirs_dir / video)
    for section in ("per_group", "overall"):
        for metric in ("avg_sum_reward", "avg_max_reward", "pc_success", "n_episodes"):
            mine = ours[section] if section == "overall" else next(iter(ours[section].values()))
            upstream = theirs[section] if section == "overall" else next(iter(theirs[section].values()))
            assert mine[metric] == upstream[metric], (section, metric)


def test_eval_equals_lerobot_eval_in_pusht_from_a_directory_and_a_checkpoint(
    pusht_policy: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    directory, checkpoint = pusht_policy
    theirs = lerobot_eval(
        monkeypatch, f"--policy.path={directory}", *PUSHT, f"--output_dir={tmp_path / 'lerobot'}"
    )
    capsys.readouterr()
    from_directory = getiaction_eval("--policy", str(directory), *PUSHT, f"--output_dir={tmp_path / 'dir'}")
    printed = capsys.readouterr().out
    from_checkpoint = getiaction_eval(f"--policy={checkpoint}", *PUSHT, f"--output_dir={tmp_path / 'ckpt'}")

    assert from_directory["overall"]["n_episodes"] == 5 and from_directory["overall"]["video_paths"]
    rewards = from_directory["per_task"][0]["metrics"]["sum_rewards"]
    assert len(set(rewards)) > 1, "episodes that all score alike would compare nothing"
    assert_same_episodes(from_directory, theirs, tmp_path / "dir", tmp_path / "lerobot")
    assert_same_episodes(from_checkpoint, theirs, tmp_path / "ckpt", tmp_path / "lerobot")
    # Every episode in the table, with its seed.
    rows = {" ".join(line.split()[:4]) for line in printed.splitlines()}
    for index, reward in enumerate(rewards):
        assert f"pusht/0 {index} {3 + index} {reward:.4f}" in rows
    assert "eval_info.json" in printed


def tiny_aloha_tdmpc(path: Path) -> Path:
    """A tiny TDMPC on ALOHA's 14 joint positions: it plans by sampling, so its actions depend on the global RNG
    state, which lerobot-eval seeds and then draws from while it builds the policy."""
    from getiaction.policies.lerobot import TDMPC

    torch.manual_seed(0)
    features = {
        "observation.state": PolicyFeature(type=FeatureType.STATE, shape=(14,)),
        "action": PolicyFeature(type=FeatureType.ACTION, shape=(14,)),
    }
    stats = {key: {"min": -torch.ones(14), "max": torch.ones(14)} for key in features}
    policy = TDMPC(
        input_features=features,
        output_features=features,
        stats=stats,
        horizon=2,
        latent_dim=8,
        mlp_dim=16,
        q_ensemble_size=2,
        state_encoder_hidden_dim=16,
        n_gaussian_samples=8,
        n_pi_samples=4,
        n_elites=4,
        cem_iterations=2,
    )
    return policy.save_pretrained(path / "tdmpc")


def test_eval_equals_lerobot_eval_in_aloha(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second LeRobot simulator (MuJoCo): the same episodes and videos as lerobot-eval for a sampling policy."""
    pytest.importorskip("gym_aloha", reason="getiaction[aloha] is not installed")
    directory = tiny_aloha_tdmpc(tmp_path)
    aloha = [
        "--env.type=aloha",
        "--env.task=AlohaTransferCube-v0",
        "--env.episode_length=5",
        "--eval.n_episodes=1",  # MuJoCo renders on the CPU here: ~0.1 s a frame, two frames a step
        "--eval.batch_size=1",
        "--eval.use_async_envs=false",
        "--seed=5",
    ]
    theirs = lerobot_eval(
        monkeypatch, f"--policy.path={directory}", *aloha, f"--output_dir={tmp_path / 'lerobot'}"
    )
    ours = getiaction_eval(f"--policy={directory}", *aloha, f"--output_dir={tmp_path / 'ours'}")
    assert ours["overall"]["n_episodes"] == 1 and len(ours["overall"]["video_paths"]) == 1
    assert_same_episodes(ours, theirs, tmp_path / "ours", tmp_path / "lerobot")
    assert "aloha/0" in capsys.readouterr().out


def test_help_lists_every_subcommand_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        getiaction_main(["--help"])
    assert exit_info.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ("fit", "validate", "test", "predict", "eval"):
        line = next((line for line in lines if line.split()[:1] == [name]), None)
        assert line is not None and len(line.split()) > 2, name


def test_eval_help_lists_the_chosen_environments_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        getiaction_main(["eval", "--env.type=pusht", "--help"])
    assert exit_info.value.code == 0
    printed = capsys.readouterr().out
    for option in ("--env.obs_type", "--env.episode_length", "--eval.n_episodes", "--policy.path", "--seed"):
        assert option in printed


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            ["--env.type=pusht", "--env.episode_length=abc"],
            "--env.episode_length: Couldn't parse 'abc' into an int",
        ),
        (["--env.type=pusht", "--env.obs_typ=pixels"], "Did you mean: --env.obs_type"),
        (["--env.type=pushtt"], "invalid choice: 'pushtt'"),
        (
            ["--env.type=pusht", "--env.task=PushT-v9"],
            "--env.type=pusht: LeRobot could not make the environment",
        ),
        (["--env.type=pusht", "--eval.n_episodes=2"], "--policy: give a Lightning checkpoint"),
    ],
)
def test_a_bad_option_is_one_paragraph_naming_it(
    arguments: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = [] if "--eval.n_episodes=2" in arguments else [f"--policy={tmp_path / 'no-policy'}"]
    with pytest.raises(SystemExit) as exit_info:
        getiaction_main(["eval", *policy, *arguments])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip().split("\n\n")
    assert len(error) == 1 and error[0].startswith("getiaction: error: ") and "Traceback" not in error[0]
    assert expected in error[0]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="Couldn't parse 'abc' into an int"):
        getiaction_main(
            ["eval", "--debug", f"--policy={tmp_path}", "--env.type=pusht", "--env.episode_length=abc"]
        )


@pytest.mark.parametrize(
    ("env_type", "hidden", "extra"),
    [("aloha", "gym_aloha", "aloha"), ("metaworld", "metaworld", "metaworld")],
)
def test_a_missing_simulator_is_one_line_naming_the_extra(
    env_type: str,
    hidden: str,
    extra: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import gymnasium as gym

    monkeypatch.setitem(sys.modules, hidden, None)  # as if not installed: importing it fails
    monkeypatch.delitem(sys.modules, f"lerobot.envs.{env_type}", raising=False)  # imports it again
    for env_id in [env_id for env_id in gym.registry if env_id.startswith(f"gym_{env_type}/")]:
        monkeypatch.delitem(gym.registry, env_id)
    with pytest.raises(SystemExit) as exit_info:
        getiaction_main(["eval", f"--policy={tmp_path}", f"--env.type={env_type}"])
    assert exit_info.value.code == 2
    first, *rest = capsys.readouterr().err.strip().splitlines()
    assert first == (
        f"getiaction: error: --env.type={env_type} needs its simulator: {hidden!r} is not installed. "
        f"Install it with: pip install 'getiaction[{extra}]' (it pins lerobot==0.6.1)"
    )
    assert rest == ["(run with --debug to see the traceback)"]


def test_rollout_callback_under_two_process_ddp(tiny_dataset_root: Path, tmp_path: Path) -> None:
    """Rank zero alone rolls out, after each validation but not the sanity check; both ranks log its scores,
    their checkpoint monitors agree, and the policy trains in train mode afterwards."""
    command = [sys.executable, str(TESTS / "ddp_rollout_run.py"), "--root", str(tiny_dataset_root)]
    result = subprocess.run(
        [*command, "--out", str(tmp_path)], capture_output=True, text=True, env=OFFLINE_ENV, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    assert [rank["world_size"] for rank in ranks] == [2, 2]
    assert len(ranks[0]["evaluations"]) == 2 and ranks[1]["evaluations"] == []  # validations at steps 2, 4
    for step, overall in zip((2, 4), ranks[0]["evaluations"], strict=True):
        for rank in ranks:
            logged = rank["logged"][step]
            assert logged.keys() == {"eval/avg_sum_reward", "eval/avg_max_reward", "eval/pc_success"}
            for name, value in logged.items():
                assert value == pytest.approx(overall[name.removeprefix("eval/")], rel=1e-6)  # float32 logs
    assert ranks[0]["logged"][0] == {} == ranks[1]["logged"][0]  # the sanity check rolled nothing out
    assert ranks[0]["best_model_score"] == ranks[1]["best_model_score"] is not None
    assert ranks[0]["best_model_path"] == ranks[1]["best_model_path"]
    for rank in ranks:
        assert all(module and policy for module, policy in rank["train_mode"].values())


def test_callback_leaves_the_training_state_as_it_found_it(pusht_policy: tuple[Path, Path]) -> None:
    """At the start of training: scores logged at step 0, the policy back in train mode, the training's random
    state untouched (the rollouts run under their own seed)."""
    from unittest import mock

    from getiaction.evaluation import RolloutEvaluation
    from getiaction.policies.lerobot import LeRobotPolicy

    directory, _ = pusht_policy
    policy = LeRobotPolicy.from_pretrained(directory).train()
    callback = RolloutEvaluation(
        env={"type": "pusht", "obs_type": "environment_state_agent_pos", "episode_length": 5},
        n_episodes=2,
        batch_size=2,
    )
    logger = mock.Mock()
    trainer = mock.Mock(global_step=0, is_global_zero=True, loggers=[logger], default_root_dir=str(directory))
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    callback.on_train_start(trainer, policy)
    assert torch.equal(torch.rand(3), expected)
    assert policy.training and policy.lerobot_policy is not None and policy.lerobot_policy.training
    (scores,), step = logger.log_metrics.call_args.args, logger.log_metrics.call_args.kwargs["step"]
    assert step == 0 and set(scores) == {"eval/avg_sum_reward", "eval/avg_max_reward", "eval/pc_success"}
