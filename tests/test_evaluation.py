"""``getiaction eval`` and the rollout callback: metrics, videos read back, batching, the callback's logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

evaluation = pytest.importorskip("getiaction.evaluation")
pytest.importorskip("gym_pusht", reason="the evaluation tests roll out in gym-pusht")

PUSHT_KWARGS = {"obs_type": "environment_state_agent_pos"}


def tiny_pusht_act() -> Any:
    """An untrained, tiny ACT for PushT's keypoint observations (built offline from features and stats)."""
    from lerobot.configs.types import FeatureType, PolicyFeature

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
    return ACT(
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
    ).eval()


def read_frames(path: Path) -> int:
    import av

    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def test_eval_writes_metrics_and_a_video_of_the_expected_length(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pretrained = tiny_pusht_act().save_pretrained(tmp_path / "policy")
    out = tmp_path / "eval"
    argv = ["--policy", str(pretrained), "--episodes", "2", "--batch-size", "2", "--max-episode-steps", "8"]
    assert evaluation.main([*argv, "--videos", "1", "--seed", "7", "--output-dir", str(out)]) == 0

    info = json.loads((out / "eval_info.json").read_text())
    episodes = info["per_episode"]
    assert [episode["seed"] for episode in episodes] == [7, 8]
    assert all(1 <= episode["length"] <= 8 for episode in episodes)
    assert all(0.0 <= episode["max_reward"] <= 1.0 for episode in episodes)
    aggregated = info["aggregated"]
    assert aggregated["avg_max_reward"] == pytest.approx(np.mean([e["max_reward"] for e in episodes]))
    assert aggregated["avg_sum_reward"] == pytest.approx(np.mean([e["sum_reward"] for e in episodes]))
    assert aggregated["pc_success"] == pytest.approx(100 * np.mean([e["success"] for e in episodes]))
    assert info["video_paths"] == [str(out / "videos" / "eval_episode_0.mp4")]
    # The first frame is the reset state, then one frame per step.
    assert read_frames(Path(info["video_paths"][0])) == episodes[0]["length"] + 1
    printed = capsys.readouterr().out
    assert "max reward" in printed and "eval_info.json" in printed


def test_batches_give_the_same_episodes_as_one_at_a_time() -> None:
    common = {"episodes": 3, "env_kwargs": PUSHT_KWARGS, "seed": 5, "max_episode_steps": 6, "progress": False}
    together = evaluation.evaluate(evaluation.PolicyActor(tiny_pusht_act()), batch_size=3, **common)
    alone = evaluation.evaluate(evaluation.PolicyActor(tiny_pusht_act()), batch_size=1, **common)
    assert [e.episode_ix for e in alone.episodes] == [0, 1, 2]
    for a, b in zip(together.episodes, alone.episodes, strict=True):
        assert (a.seed, a.length) == (b.seed, b.length)
        assert a.max_reward == pytest.approx(b.max_reward, abs=1e-5)


def test_gif_fallback_writes_every_frame(tmp_path: Path) -> None:
    from PIL import Image

    frames = [np.full((33, 31, 3), value, dtype=np.uint8) for value in (0, 80, 160, 240)]
    path = evaluation.VideoWriter("gif").write(tmp_path / "clip", frames, fps=10)
    assert path.suffix == ".gif"
    with Image.open(path) as image:
        assert image.n_frames == 4


def test_missing_pyav_is_one_line_and_gif(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(evaluation, "_mp4_codec", lambda: None)
    writer = evaluation.VideoWriter.choose()
    assert writer.suffix == ".gif"
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_env_kwargs_must_be_a_json_object(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        evaluation.main(["--policy", str(tmp_path), "--env-kwargs", "[1, 2]"])


def test_callback_logs_rollout_scores() -> None:
    """Run by hand on a trainer-less module: the callback rolls out and logs both metrics."""
    from unittest import mock

    callback = evaluation.RolloutEvaluation(
        episodes=2, every_n_val_epochs=2, env_kwargs=PUSHT_KWARGS, max_episode_steps=4
    )
    policy = tiny_pusht_act()
    trainer = mock.Mock(sanity_checking=False)
    with mock.patch.object(type(policy), "log") as log:
        callback.on_validation_epoch_end(trainer, policy)  # the first validation: skipped
        assert not log.called
        callback.on_validation_epoch_end(trainer, policy)
    logged = {call.args[0]: call.args[1] for call in log.call_args_list}
    assert set(logged) == {"eval/avg_max_reward", "eval/avg_sum_reward", "eval/success_rate"}
    assert 0.0 <= logged["eval/success_rate"] <= 1.0
