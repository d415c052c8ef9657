"""The Lightning workflow end to end: the CLI with checkpoints, test, the seed's YAML, DDP resume, from_dataset."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
import yaml
from tiny import REPO_ID, TINY_CONFIGS

import getiaction.policies.lerobot as wrappers
from getiaction._lerobot.compat import (
    EpisodeAwareSampler,
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.cli import run_cli
from getiaction.data._sharding import shard_batches
from getiaction.data.lerobot import LeRobotDataModule
from getiaction.policies.lerobot import ACT, LeRobotPolicy

TESTS = Path(__file__).parent
CONFIGS = TESTS.parent / "configs"
OFFLINE_ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def getiaction(*args: str) -> subprocess.CompletedProcess[str]:
    """The console script, as a user runs it."""
    command = [str(Path(sys.executable).parent / "getiaction"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=OFFLINE_ENV, check=False)


def seed_yaml(tmp_path: Path, root: Path, **model: Any) -> Path:
    """The seed design's YAML for the universal wrapper: parameters inline beside policy_name."""
    config = {
        "seed_everything": 0,
        "model": {
            "class_path": "getiaction.policies.lerobot.LeRobotPolicy",
            "init_args": {"policy_name": "act", **TINY_CONFIGS["act"], **model},
        },
        "data": {
            "class_path": "getiaction.data.lerobot.LeRobotDataModule",
            "init_args": {
                "repo_id": REPO_ID,
                "root": str(root),
                "num_workers": 0,
                "batch_size": 4,
                "eval_split": 0.3,
            },
        },
        "trainer": {
            "accelerator": "cpu",
            "max_steps": 3,
            "enable_progress_bar": False,
            "enable_model_summary": False,
            "default_root_dir": str(tmp_path / "run"),
        },
    }
    path = tmp_path / "seed.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def only_checkpoint(directory: Path) -> Path:
    (path,) = sorted(directory.rglob("*.ckpt"))
    return path


# --- the CLI, as a user runs it -----------------------------------------------------------------------


def test_cli_round_trip_with_ckpt_path_from_the_seed_yaml(tiny_dataset_root: Path, tmp_path: Path) -> None:
    config = seed_yaml(tmp_path, tiny_dataset_root)
    fitted = getiaction("fit", "--config", str(config))
    assert fitted.returncode == 0, fitted.stderr[-3000:]
    checkpoint = only_checkpoint(tmp_path / "run")
    saved = torch.load(checkpoint, weights_only=True)
    # The universal spec resolved to the explicit class: its checkpoint is ACT's.
    assert saved["hyper_parameters"]["_class_path"] == "getiaction.policies.lerobot.ACT"
    assert saved["hyper_parameters"]["dim_model"] == TINY_CONFIGS["act"]["dim_model"]
    assert type(wrappers.ACT.load_from_checkpoint(checkpoint)) is ACT

    for subcommand, metric in (("validate", "val/loss"), ("test", "test/loss")):
        result = getiaction(subcommand, "--config", str(config), "--ckpt_path", str(checkpoint))
        assert result.returncode == 0, result.stderr[-3000:]
        assert metric in result.stdout, result.stdout[-2000:]
    predicted = getiaction("predict", "--config", str(config), "--ckpt_path", str(checkpoint))
    assert predicted.returncode == 0, predicted.stderr[-3000:]

    resumed = getiaction(
        "fit", "--config", str(config), "--ckpt_path", str(checkpoint), "--trainer.max_steps=5"
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Restoring states from the checkpoint" in resumed.stdout + resumed.stderr
    assert "`max_steps=5` reached" in resumed.stdout + resumed.stderr


def test_cli_refuses_a_misspelled_inline_key_in_one_paragraph(
    tiny_dataset_root: Path, tmp_path: Path
) -> None:
    config = seed_yaml(tmp_path, tiny_dataset_root, dim_modle=8)
    result = getiaction("fit", "--config", str(config))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("getiaction: error:")]
    assert len(error_lines) == 1, result.stderr[-2000:]
    assert "'dim_modle'" in error_lines[0] and "Did you mean: dim_model?" in error_lines[0]

    debug = getiaction("fit", "--config", str(config), "--debug")
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "ConfigTypeError" in debug.stderr


def test_cli_bad_value_at_instantiation_is_one_paragraph(tiny_dataset_root: Path, tmp_path: Path) -> None:
    config = seed_yaml(tmp_path, tiny_dataset_root)
    result = getiaction("fit", "--config", str(config), "--model.init_args.chunk_size=0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "getiaction: error: ACT: ACTConfig rejected the configuration" in result.stderr


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_cli_validate_with_ckpt_path_for_every_offline_policy(
    policy_type: str, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    args = [
        "--config",
        str(CONFIGS / f"lerobot_{policy_type}.yaml"),
        *(f"--model.init_args.{key}={json.dumps(value)}" for key, value in TINY_CONFIGS[policy_type].items()),
        f"--data.init_args.repo_id={REPO_ID}",
        f"--data.init_args.root={tiny_dataset_root}",
        "--data.init_args.num_workers=0",
        "--data.init_args.batch_size=4",
        "--data.init_args.eval_split=0.3",
        "--trainer.max_steps=1",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        f"--trainer.default_root_dir={tmp_path}",
    ]
    fitted = run_cli(["fit", *args])
    checkpoint = only_checkpoint(tmp_path)
    validated = run_cli(["validate", *args, f"--ckpt_path={checkpoint}"])
    assert type(validated.model) is type(fitted.model)
    assert validated.model.config == fitted.model.config
    assert torch.isfinite(validated.trainer.callback_metrics["val/loss"])


def test_every_universal_spec_form_resolves_to_the_explicit_class(capsys: pytest.CaptureFixture[str]) -> None:
    def printed(*args: str) -> dict[str, Any]:
        with pytest.raises(SystemExit):
            run_cli(["fit", *args, "--data.init_args.repo_id=x", "--print_config"])
        model: dict[str, Any] = yaml.safe_load(capsys.readouterr().out)["model"]
        return model

    # policy_config is the base; parameters beside policy_name override it, as keywords do in Python.
    spec = {"policy_name": "act", "policy_config": {"dim_model": 16, "n_heads": 2}, "dim_model": 24}
    model = printed("--model", json.dumps({"class_path": "LeRobotPolicy", "init_args": spec}))
    assert model["class_path"] == "getiaction.policies.lerobot.act.ACT"
    assert model["init_args"]["dim_model"] == 24 and model["init_args"]["n_heads"] == 2

    model = printed(
        "--model=LeRobotPolicy", "--model.init_args.policy_name", "diffusion", "--model.init_args.horizon=16"
    )
    assert model["class_path"] == "getiaction.policies.lerobot.diffusion.Diffusion"
    assert model["init_args"]["horizon"] == 16


def test_inline_keyword_overrides_policy_config_in_python() -> None:
    policy = LeRobotPolicy("act", policy_config={"dim_model": 16, "n_heads": 2}, dim_model=24)
    assert policy.config.dim_model == 24 and policy.config.n_heads == 2
    assert policy.policy_name == "act"
    with pytest.raises(AttributeError):
        policy.policy_name = "diffusion"  # type: ignore[misc]


# --- test_step -----------------------------------------------------------------------------------------


def test_trainer_test_logs_test_loss_and_lerobot_losses(tiny_dataset_root: Path, tmp_path: Path) -> None:
    datamodule = LeRobotDataModule(
        REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4, eval_split=0.3
    )
    trainer = lightning.Trainer(
        max_steps=1, accelerator="cpu", logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    (metrics,) = trainer.test(ACT(**TINY_CONFIGS["act"]), datamodule=datamodule)
    assert {"test/loss", "test/l1_loss"} <= set(metrics)  # ACT's VAE (kld_loss) runs in training only


# --- from_dataset -------------------------------------------------------------------------------------


def test_from_dataset_builds_like_explicit_features_and_stats(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    torch.manual_seed(0)
    by_hand = ACT(
        input_features=features, output_features=features, stats=tiny_meta.stats, **TINY_CONFIGS["act"]
    )
    dataset = LeRobotDataset(REPO_ID, root=tiny_dataset_root)
    for source, kwargs in (
        (dataset, {}),
        (tiny_meta, {}),
        (REPO_ID, {"root": tiny_dataset_root}),
    ):
        torch.manual_seed(0)
        built = ACT.from_dataset(source, use_imagenet_stats=False, **kwargs, **TINY_CONFIGS["act"])
        assert built.config == by_hand.config
        assert built.lerobot_policy is not None and by_hand.lerobot_policy is not None
        for key, value in by_hand.lerobot_policy.state_dict().items():
            assert torch.equal(value, built.lerobot_policy.state_dict()[key]), key
        assert built.stats is not None and by_hand.stats is not None
        assert all(
            torch.equal(built.stats[k][s], v) for k in by_hand.stats for s, v in by_hand.stats[k].items()
        )

    torch.manual_seed(0)
    universal = LeRobotPolicy.from_dataset(
        dataset, policy_name="act", use_imagenet_stats=False, **TINY_CONFIGS["act"]
    )
    assert type(universal) is LeRobotPolicy and universal.config == by_hand.config
    with_imagenet = ACT.from_dataset(dataset, **TINY_CONFIGS["act"])
    assert with_imagenet.stats is not None
    assert torch.equal(
        with_imagenet.stats["observation.image"]["mean"].flatten(), torch.tensor([0.485, 0.456, 0.406])
    )


# --- distributed training ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frames", "batch_size", "world_size"), [(72, 4, 2), (70, 4, 2), (10, 4, 3), (5, 4, 2), (9, 2, 4)]
)
def test_shard_batches_deals_batches_as_accelerate(frames: int, batch_size: int, world_size: int) -> None:
    from accelerate.data_loader import BatchSamplerShard
    from torch.utils.data import BatchSampler

    order = list(torch.randperm(frames, generator=torch.Generator().manual_seed(frames)).tolist())
    batches = [order[i : i + batch_size] for i in range(0, frames, batch_size)]
    for rank in range(world_size):
        expected = list(BatchSamplerShard(BatchSampler(order, batch_size, drop_last=False), world_size, rank))
        assert list(shard_batches(batches, world_size, rank, batch_size)) == expected


def test_ddp_resume_mid_epoch_equals_an_uninterrupted_ddp_run(
    tiny_dataset_root: Path, tmp_path: Path
) -> None:
    def run(out: Path, *extra: str) -> list[dict[str, Any]]:
        command = [
            sys.executable,
            str(TESTS / "ddp_run.py"),
            "--root",
            str(tiny_dataset_root),
            "--out",
            str(out),
        ]
        result = subprocess.run(
            [*command, "--max-steps", "6", *extra],
            capture_output=True,
            text=True,
            env=OFFLINE_ENV,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-4000:]
        return [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]

    uninterrupted = run(tmp_path / "uninterrupted")
    # 3 episodes of 24 frames in batches of 4 over 2 ranks: 9 steps an epoch, so step 3 is mid-epoch.
    resumed = run(
        tmp_path / "resumed", "--ckpt-path", str(tmp_path / "uninterrupted" / "checkpoints" / "step=3.ckpt")
    )

    for rank in (0, 1):
        assert uninterrupted[rank]["world_size"] == 2
        assert sorted(resumed[rank]["losses"]) == [4, 5, 6]
        assert resumed[rank]["losses"] == {step: uninterrupted[rank]["losses"][step] for step in (4, 5, 6)}
        assert resumed[rank]["indices"] == {step: uninterrupted[rank]["indices"][step] for step in (4, 5, 6)}
        for key, value in uninterrupted[rank]["weights"].items():
            assert torch.equal(value, resumed[rank]["weights"][key]), key
    assert all(torch.equal(v, uninterrupted[1]["weights"][k]) for k, v in uninterrupted[0]["weights"].items())

    # Batches are lerobot-train's: one global episode-aware order, dealt to the ranks as accelerate does.
    meta = LeRobotDatasetMetadata(REPO_ID, root=tiny_dataset_root)
    order = list(
        EpisodeAwareSampler(
            meta.episodes["dataset_from_index"], meta.episodes["dataset_to_index"], shuffle=True, seed=1000
        )
    )
    batches = [order[i : i + 4] for i in range(0, len(order), 4)]
    for rank in (0, 1):
        expected = list(shard_batches(batches, 2, rank, 4))[:6]
        assert [uninterrupted[rank]["indices"][step] for step in range(1, 7)] == expected
