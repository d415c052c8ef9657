"""The ``getiaction`` CLI with the generated configs, and ``LeRobotDataModule``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.datasets.factory import resolve_delta_timestamps
from tiny import REPO_ID, TINY_CONFIGS

import getiaction.policies.lerobot as wrappers
from getiaction._lerobot.compat import LeRobotDatasetMetadata
from getiaction.cli import run_cli
from getiaction.data.lerobot import LeRobotDataModule

CONFIGS = Path(__file__).parent.parent / "configs"
GENERATED_CONFIGS = sorted(CONFIGS.glob("lerobot_*.yaml"))


def test_every_policy_has_a_generated_config() -> None:
    assert {path.stem.removeprefix("lerobot_") for path in GENERATED_CONFIGS} == set(wrappers.POLICY_CLASSES)


@pytest.mark.parametrize("config", GENERATED_CONFIGS, ids=lambda path: path.stem)
def test_print_config_parses_every_generated_config(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(["fit", "--config", str(config), "--print_config"])
    assert exit_.value.code in (None, 0)
    printed = capsys.readouterr().out
    policy_type = config.stem.removeprefix("lerobot_")
    assert f"class_path: getiaction.policies.lerobot.{wrappers.POLICY_CLASSES[policy_type]}" in printed
    assert "class_path: getiaction.data.lerobot.LeRobotDataModule" in printed


def tiny_overrides(policy_type: str, root: Path, out: Path) -> list[str]:
    args = [
        f"--model.init_args.{key}={json.dumps(value)}" for key, value in TINY_CONFIGS[policy_type].items()
    ]
    return [
        *args,
        f"--data.init_args.repo_id={REPO_ID}",
        f"--data.init_args.root={root}",
        "--data.init_args.num_workers=0",
        "--data.init_args.batch_size=4",
        "--trainer.max_steps=2",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--trainer.default_root_dir={out}",
    ]


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_cli_fits_two_steps_with_each_offline_config(
    policy_type: str, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    config = CONFIGS / f"lerobot_{policy_type}.yaml"
    cli = run_cli(["fit", "--config", str(config), *tiny_overrides(policy_type, tiny_dataset_root, tmp_path)])
    assert cli.trainer.global_step == 2
    assert isinstance(cli.model, getattr(wrappers, wrappers.POLICY_CLASSES[policy_type]))
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss"])
    assert list(tmp_path.rglob("*.ckpt")), "fit wrote no checkpoint"
    assert list(tmp_path.rglob("config.yaml")), "the CLI saved no config"


def test_cli_overrides_reach_the_upstream_config(tiny_dataset_root: Path, tmp_path: Path) -> None:
    args = tiny_overrides("act", tiny_dataset_root, tmp_path)
    cli = run_cli(
        ["fit", "--config", str(CONFIGS / "lerobot_act.yaml"), *args, "--model.init_args.dim_model=48"]
    )
    assert cli.model.config.dim_model == 48
    assert cli.model.config.input_features.keys() == {"observation.state", "observation.image"}


def test_universal_wrapper_from_yaml(tiny_dataset_root: Path, tmp_path: Path) -> None:
    config = tmp_path / "universal.yaml"
    config.write_text(
        "model:\n"
        "  class_path: getiaction.policies.lerobot.LeRobotPolicy\n"
        "  init_args:\n"
        "    policy_name: act\n"
        f"    policy_config: {json.dumps(TINY_CONFIGS['act'])}\n"
        "data:\n"
        "  class_path: getiaction.data.lerobot.LeRobotDataModule\n"
        f"  init_args: {{repo_id: {REPO_ID}, root: {tiny_dataset_root}, num_workers: 0, batch_size: 4}}\n"
    )
    cli = run_cli(
        ["fit", "--config", str(config), "--trainer.max_steps=1", f"--trainer.default_root_dir={tmp_path}"]
    )
    assert cli.model.policy_type == "act"
    assert cli.model.config.dim_model == TINY_CONFIGS["act"]["dim_model"]


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ("--model.init_args.dim_modle=3", "dim_modle"),
        ("--model.init_args.dim_model=big", "dim_model"),
        ("--model.init_args.normalization_mapping={VISUAL: NOPE}", "normalization_mapping"),
        ("--data.init_args.batch_sise=3", "batch_sise"),
    ],
)
def test_bad_values_are_refused_by_name(
    override: str, named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(["fit", "--config", str(CONFIGS / "lerobot_act.yaml"), override, "--print_config"])
    assert exit_.value.code == 2
    assert named in capsys.readouterr().err


def test_bad_yaml_key_is_refused_by_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(
        (CONFIGS / "lerobot_act.yaml").read_text().replace("    dim_model: 512", "    dim_modle: 512")
    )
    with pytest.raises(SystemExit):
        run_cli(["fit", "--config", str(config), "--print_config"])
    assert "dim_modle" in capsys.readouterr().err


# --- LeRobotDataModule ----------------------------------------------------------------------------


def attach(datamodule: LeRobotDataModule, module: lightning.LightningModule) -> None:
    trainer = lightning.Trainer(logger=False, enable_checkpointing=False)
    trainer.strategy.connect(module)
    trainer._data_connector.attach_datamodule(module, datamodule=datamodule)
    datamodule.trainer = trainer


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_delta_timestamps_follow_the_model_config(
    policy_type: str, tiny_dataset_root: Path, tiny_meta: LeRobotDatasetMetadata
) -> None:
    module = getattr(wrappers, wrappers.POLICY_CLASSES[policy_type])(**TINY_CONFIGS[policy_type])
    datamodule = LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0)
    assert datamodule.train_dataset is None  # nothing opened at construction
    attach(datamodule, module)
    datamodule.setup("fit")
    assert datamodule.train_dataset is not None
    expected = resolve_delta_timestamps(module.config, tiny_meta)
    assert datamodule.train_dataset.delta_timestamps == expected
    if policy_type == "diffusion":  # n_obs_steps=2 and a horizon of 8 at 10 fps
        assert expected is not None
        assert expected["observation.state"] == [-0.1, 0.0]
        assert expected["action"] == [i / 10 for i in range(-1, 7)]


def test_sampler_drops_the_policy_s_last_frames_like_lerobot_train(
    tiny_dataset_root: Path, tiny_meta: LeRobotDatasetMetadata
) -> None:
    module = wrappers.Diffusion(**TINY_CONFIGS["diffusion"])
    datamodule = LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4)
    attach(datamodule, module)
    datamodule.setup("fit")
    loader = datamodule.train_dataloader()
    drop = TINY_CONFIGS["diffusion"]["drop_n_last_frames"]
    assert len(loader.sampler) == tiny_meta.total_frames - drop * tiny_meta.total_episodes  # type: ignore[arg-type]
    first = next(iter(loader))
    assert first["action"].shape == (4, TINY_CONFIGS["diffusion"]["horizon"], 2)


def test_eval_split_holds_out_the_last_episodes(tiny_dataset_root: Path) -> None:
    module = wrappers.ACT(**TINY_CONFIGS["act"])
    datamodule = LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, eval_split=0.3)
    attach(datamodule, module)
    datamodule.setup("fit")
    assert datamodule.train_dataset is not None and datamodule.val_dataset is not None
    assert datamodule.train_dataset.episodes == [0, 1]
    assert datamodule.val_dataset.episodes == [2]


def test_imagenet_stats_replace_camera_stats_by_default(tiny_dataset_root: Path) -> None:
    from getiaction._lerobot.compat import IMAGENET_STATS

    datamodule = LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0)
    attach(datamodule, wrappers.ACT(**TINY_CONFIGS["act"]))
    datamodule.setup("fit")
    assert datamodule.dataset_meta is not None and datamodule.dataset_meta.stats is not None
    camera = datamodule.dataset_meta.stats["observation.image"]
    assert torch.equal(
        torch.as_tensor(camera["mean"]), torch.tensor(IMAGENET_STATS["mean"], dtype=torch.float32)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"eval_split": 1.5}, "eval_split must be in"),
        ({"eval_split": 0.5, "val_episodes": [0]}, "either eval_split or val_episodes"),
        ({"batch_size": 0}, "batch_size must be at least 1"),
    ],
)
def test_datamodule_rejects_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LeRobotDataModule(REPO_ID, **kwargs)


def test_datamodule_rejects_unknown_episodes(tiny_dataset_root: Path) -> None:
    datamodule = LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, episodes=[0, 7])
    attach(datamodule, wrappers.ACT(**TINY_CONFIGS["act"]))
    with pytest.raises(ValueError, match=r"episodes \[7\] are not in local/tiny"):
        datamodule.setup("fit")


def test_model_builds_from_the_datamodule(tiny_dataset_root: Path, tmp_path: Path) -> None:
    module = wrappers.ACT(**TINY_CONFIGS["act"])
    assert module.lerobot_policy is None
    datamodule = LeRobotDataModule(
        REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4, eval_split=0.3
    )
    trainer = lightning.Trainer(
        max_steps=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        default_root_dir=tmp_path,
    )
    trainer.fit(module, datamodule=datamodule)
    assert module.lerobot_policy is not None
    assert set(module.config.input_features) == {"observation.state", "observation.image"}
    assert module.stats is not None and "observation.image" in module.stats


def test_cli_validate_and_predict(tiny_dataset_root: Path, tmp_path: Path) -> None:
    args = [*tiny_overrides("act", tiny_dataset_root, tmp_path), "--data.init_args.eval_split=0.3"]
    config = str(CONFIGS / "lerobot_act.yaml")
    validated = run_cli(["validate", "--config", config, *args])
    assert torch.isfinite(validated.trainer.callback_metrics["val/loss"])
    predicted = run_cli(["predict", "--config", config, *args])
    batches = predicted.trainer.predict_loop.predictions
    assert batches and all(actions.shape[-1] == 2 for actions in batches)
    assert sum(len(actions) for actions in batches) == 24  # every frame of the held-out episode
