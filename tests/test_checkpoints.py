"""Checkpoints: safe Lightning checkpoints, exact resume, and LeRobot's pretrained format both ways."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.policies.factory import (
    get_policy_class,
    make_policy,
    make_policy_config,
    make_pre_post_processors,
)
from tiny import REPO_ID, TINY_CONFIGS

import getiaction.policies.lerobot as wrappers
from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.data.lerobot import LeRobotDataModule
from getiaction.policies.lerobot import ACT, Diffusion, LeRobotPolicy, LeRobotPolicyModule


def wrapper_class(policy_type: str) -> type[LeRobotPolicyModule[Any]]:
    return getattr(wrappers, wrappers.POLICY_CLASSES[policy_type])  # type: ignore[no-any-return]


def built(policy_type: str, meta: LeRobotDatasetMetadata) -> LeRobotPolicyModule[Any]:
    features = dataset_to_policy_features(meta.features)
    torch.manual_seed(0)
    return wrapper_class(policy_type)(
        input_features=features, output_features=features, stats=meta.stats, **TINY_CONFIGS[policy_type]
    )


def observations(root: Path, count: int = 5) -> list[dict[str, Any]]:
    dataset = LeRobotDataset(REPO_ID, root=root)
    keys = ("observation.state", "observation.image", "task")
    return [{key: dataset[index][key] for key in keys} for index in range(count)]


def actions(actor: Any, root: Path) -> list[torch.Tensor]:
    """``actor.select_action`` over a few steps (seeded per step for stochastic policies), from a fresh episode."""
    actor.reset()
    out = []
    for step, observation in enumerate(observations(root)):
        torch.manual_seed(step)
        with torch.no_grad():
            out.append(actor.select_action(copy.deepcopy(observation)))
    return out


def assert_same_actions(first: list[torch.Tensor], second: list[torch.Tensor]) -> None:
    assert len(first) == len(second)
    for step, (a, b) in enumerate(zip(first, second, strict=True)):
        assert torch.equal(a, b), f"step {step}: max |diff| {(a - b).abs().max()}"


class NativeActor:
    """A native LeRobot policy with its processors, the way lerobot-eval drives it."""

    def __init__(self, policy: Any, preprocessor: Any, postprocessor: Any) -> None:
        self.policy, self.preprocessor, self.postprocessor = policy, preprocessor, postprocessor

    def reset(self) -> None:
        self.policy.reset()

    def select_action(self, observation: dict[str, Any]) -> torch.Tensor:
        return self.postprocessor(self.policy.select_action(self.preprocessor(observation)))  # type: ignore[no-any-return]


def quiet_trainer(**kwargs: Any) -> lightning.Trainer:
    return lightning.Trainer(
        accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False, **kwargs
    )


@pytest.fixture
def act_checkpoint(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> tuple[ACT, Path]:
    module = built("act", tiny_meta)
    assert isinstance(module, ACT)
    trainer = quiet_trainer(max_steps=2, default_root_dir=tmp_path)
    trainer.fit(
        module, datamodule=LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4)
    )
    path = tmp_path / "act.ckpt"
    trainer.save_checkpoint(path)
    return module, path


# --- Lightning checkpoints ----------------------------------------------------------------------


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_lightning_checkpoint_rebuilds_the_module_with_weights_only(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    module = built(policy_type, tiny_meta)
    trainer = quiet_trainer(max_steps=1, default_root_dir=tmp_path)
    trainer.fit(
        module, datamodule=LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4)
    )
    path = tmp_path / "policy.ckpt"
    trainer.save_checkpoint(path)

    raw = torch.load(path, weights_only=True)  # nothing but tensors and plain values inside
    assert raw["hyper_parameters"]["input_features"]["observation.state"] == {"type": "STATE", "shape": [2]}
    restored = wrapper_class(policy_type).load_from_checkpoint(path, weights_only=True)
    assert type(restored) is type(module)
    assert restored.config == module.config
    assert restored.stats is not None and module.stats is not None
    assert restored.stats.keys() == module.stats.keys()
    module.eval()
    restored.eval()
    assert_same_actions(actions(module, tiny_dataset_root), actions(restored, tiny_dataset_root))


def test_universal_wrapper_loads_any_checkpoint(
    act_checkpoint: tuple[ACT, Path], tiny_dataset_root: Path
) -> None:
    module, path = act_checkpoint
    restored = LeRobotPolicy.load_from_checkpoint(path, weights_only=True)
    assert restored.policy_type == "act" and restored.config == module.config
    module.eval()
    restored.eval()
    assert_same_actions(actions(module, tiny_dataset_root), actions(restored, tiny_dataset_root))


class _Losses(lightning.Callback):
    def __init__(self) -> None:
        self.by_step: dict[int, float] = {}

    def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.by_step[trainer.global_step] = float(outputs["loss"])


@pytest.mark.parametrize("policy_type", ["act", "diffusion"])
def test_resume_continues_exactly_like_an_uninterrupted_run(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    # 24 frames per episode at batch size 4: a checkpoint at step 3 is mid-epoch.
    def datamodule() -> LeRobotDataModule:
        return LeRobotDataModule(REPO_ID, root=tiny_dataset_root, num_workers=0, batch_size=4)

    def fit(module: LeRobotPolicyModule[Any], losses: _Losses, ckpt_path: Path | None = None) -> None:
        checkpoints = lightning.pytorch.callbacks.ModelCheckpoint(
            dirpath=tmp_path / "checkpoints", every_n_train_steps=3, save_top_k=-1, filename="{step}"
        )
        trainer = quiet_trainer(max_steps=6, callbacks=[losses, checkpoints], default_root_dir=tmp_path)
        trainer.fit(module, datamodule=datamodule(), ckpt_path=ckpt_path)

    torch.manual_seed(0)
    uninterrupted, uninterrupted_losses = wrapper_class(policy_type)(**TINY_CONFIGS[policy_type]), _Losses()
    fit(uninterrupted, uninterrupted_losses)
    assert sorted(uninterrupted_losses.by_step) == [1, 2, 3, 4, 5, 6]

    torch.manual_seed(123)  # a different start: everything must come from the checkpoint
    resumed, resumed_losses = wrapper_class(policy_type)(**TINY_CONFIGS[policy_type]), _Losses()
    fit(resumed, resumed_losses, ckpt_path=tmp_path / "checkpoints" / "step=3.ckpt")

    assert sorted(resumed_losses.by_step) == [4, 5, 6]
    assert {step: uninterrupted_losses.by_step[step] for step in (4, 5, 6)} == resumed_losses.by_step
    assert uninterrupted.lerobot_policy is not None and resumed.lerobot_policy is not None
    for key, value in uninterrupted.lerobot_policy.state_dict().items():
        assert torch.equal(value, resumed.lerobot_policy.state_dict()[key]), key


# --- LeRobot's pretrained format ------------------------------------------------------------------


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_save_pretrained_loads_natively_and_acts_identically(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    module = built(policy_type, tiny_meta).eval()
    directory = module.save_pretrained(tmp_path / "pretrained")
    assert {"config.json", "model.safetensors", "policy_preprocessor.json", "policy_postprocessor.json"} <= {
        path.name for path in directory.iterdir()
    }

    native = get_policy_class(policy_type).from_pretrained(directory)
    preprocessor, postprocessor = make_pre_post_processors(native.config, pretrained_path=str(directory))
    assert native.config == module.config
    assert_same_actions(
        actions(module, tiny_dataset_root),
        actions(NativeActor(native, preprocessor, postprocessor), tiny_dataset_root),
    )


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_from_pretrained_loads_a_native_save_and_acts_identically(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    config = make_policy_config(policy_type, **TINY_CONFIGS[policy_type])
    torch.manual_seed(0)
    native = make_policy(config, ds_meta=tiny_meta).eval()
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=tiny_meta.stats)
    directory = tmp_path / "native"
    native.save_pretrained(directory)
    preprocessor.save_pretrained(directory)
    postprocessor.save_pretrained(directory)

    loaded = wrapper_class(policy_type).from_pretrained(directory)
    chosen = LeRobotPolicy.from_pretrained(directory)  # the policy type comes from the saved config
    assert type(loaded) is wrapper_class(policy_type)
    assert type(chosen) is LeRobotPolicy and chosen.policy_type == policy_type
    assert chosen.config == loaded.config
    expected = actions(NativeActor(native, preprocessor, postprocessor), tiny_dataset_root)
    assert_same_actions(actions(loaded, tiny_dataset_root), expected)
    assert_same_actions(actions(chosen, tiny_dataset_root), expected)


def test_round_trip_wrapper_lerobot_wrapper_checkpoint(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    original = built("diffusion", tiny_meta).eval()
    reloaded = Diffusion.from_pretrained(original.save_pretrained(tmp_path / "pretrained"))
    trainer = quiet_trainer(max_steps=0, default_root_dir=tmp_path)
    trainer.strategy.connect(reloaded)
    trainer.save_checkpoint(tmp_path / "reloaded.ckpt")
    from_checkpoint = Diffusion.load_from_checkpoint(tmp_path / "reloaded.ckpt", weights_only=True).eval()
    expected = actions(original, tiny_dataset_root)
    assert_same_actions(actions(reloaded, tiny_dataset_root), expected)
    assert_same_actions(actions(from_checkpoint, tiny_dataset_root), expected)


def test_from_pretrained_overrides_config_fields(tiny_meta: LeRobotDatasetMetadata, tmp_path: Path) -> None:
    directory = built("act", tiny_meta).save_pretrained(tmp_path / "pretrained")
    loaded = ACT.from_pretrained(directory, n_action_steps=2)
    assert loaded.config.n_action_steps == 2
    with pytest.raises(TypeError, match=r"unknown config fields \['n_action_step'\].*n_action_steps"):
        ACT.from_pretrained(directory, n_action_step=2)


# --- Bad input ---------------------------------------------------------------------------------------


def test_checkpoint_of_another_policy_is_refused_naming_the_file(act_checkpoint: tuple[ACT, Path]) -> None:
    _, path = act_checkpoint
    with pytest.raises(ValueError, match=rf"{path}: holds a 'act' policy, which Diffusion cannot load"):
        Diffusion.load_from_checkpoint(path, weights_only=True)


def test_missing_corrupt_and_foreign_checkpoints_are_named(
    act_checkpoint: tuple[ACT, Path], tmp_path: Path
) -> None:
    _, path = act_checkpoint
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nope.ckpt")):
        ACT.load_from_checkpoint(tmp_path / "nope.ckpt")
    corrupt = tmp_path / "corrupt.ckpt"
    corrupt.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match=rf"{corrupt}: not a readable checkpoint"):
        ACT.load_from_checkpoint(corrupt)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(ValueError, match=rf"{foreign}: not a getiaction checkpoint"):
        ACT.load_from_checkpoint(foreign)


def test_checkpoint_from_another_lerobot_release_is_refused(
    act_checkpoint: tuple[ACT, Path], tmp_path: Path
) -> None:
    _, path = act_checkpoint
    checkpoint = torch.load(path, weights_only=True)
    checkpoint["getiaction"]["lerobot_version"] = "0.4.4"
    old = tmp_path / "old.ckpt"
    torch.save(checkpoint, old)
    with pytest.raises(ValueError, match=rf"{old} was saved with lerobot 0.4.4, but lerobot 0.6"):
        ACT.load_from_checkpoint(old)


@pytest.fixture
def pretrained_dir(tiny_meta: LeRobotDatasetMetadata, tmp_path: Path) -> Path:
    return built("act", tiny_meta).save_pretrained(tmp_path / "pretrained")


def test_pretrained_directory_of_another_policy_is_refused(pretrained_dir: Path) -> None:
    with pytest.raises(
        ValueError, match=rf"{pretrained_dir}: holds a 'act' policy, which Diffusion cannot load"
    ):
        Diffusion.from_pretrained(pretrained_dir)


@pytest.mark.parametrize("name", ["config.json", "model.safetensors", "policy_preprocessor.json"])
def test_missing_pretrained_files_are_named(pretrained_dir: Path, name: str) -> None:
    (pretrained_dir / name).unlink()
    with pytest.raises(FileNotFoundError, match=str(pretrained_dir / name)):
        ACT.from_pretrained(pretrained_dir)


def test_corrupt_pretrained_files_are_named(pretrained_dir: Path, tmp_path: Path) -> None:
    broken_weights = tmp_path / "broken_weights"
    shutil.copytree(pretrained_dir, broken_weights)
    (broken_weights / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(
        ValueError, match=rf"{broken_weights / 'model.safetensors'}: not a readable safetensors"
    ):
        ACT.from_pretrained(broken_weights)

    broken_config = tmp_path / "broken_config"
    shutil.copytree(pretrained_dir, broken_config)
    (broken_config / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match=rf"{broken_config / 'config.json'}: not a readable JSON file"):
        ACT.from_pretrained(broken_config)


def test_pretrained_files_from_another_lerobot_release_are_refused(pretrained_dir: Path) -> None:
    provenance = json.loads((pretrained_dir / "getiaction.json").read_text())
    (pretrained_dir / "getiaction.json").write_text(json.dumps({**provenance, "lerobot_version": "0.3.3"}))
    with pytest.raises(ValueError, match=r"was saved with lerobot 0\.3\.3"):
        ACT.from_pretrained(pretrained_dir)

    (pretrained_dir / "getiaction.json").unlink()  # as a directory LeRobot itself wrote
    config = json.loads((pretrained_dir / "config.json").read_text())
    config["field_from_another_release"] = 1
    (pretrained_dir / "config.json").write_text(json.dumps(config))
    with pytest.raises(
        ValueError, match=r"config.json: does not fit lerobot 0\.6\.1's ACTConfig.*another LeRobot"
    ):
        ACT.from_pretrained(pretrained_dir)


def test_not_a_directory_nor_a_repo_id(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such pretrained directory"):
        ACT.from_pretrained(tmp_path / "missing" / "dir")


def test_a_hub_repo_id_loads_from_the_hub(
    pretrained_dir: Path, tiny_dataset_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Offline, the hub is its cache: a snapshot of the saved directory under a repo id, as a download leaves it.
    import huggingface_hub.constants
    from vla.assets.fake_hub import fake_snapshot

    cache = tmp_path / "hub"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    shutil.copytree(pretrained_dir, fake_snapshot(cache, "someone/tiny-act"), dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)  # no local "someone/" beside it
    loaded = ACT.from_pretrained("someone/tiny-act")
    chosen = LeRobotPolicy.from_pretrained("someone/tiny-act")
    expected = actions(ACT.from_pretrained(pretrained_dir), tiny_dataset_root)
    assert_same_actions(actions(loaded, tiny_dataset_root), expected)
    assert_same_actions(actions(chosen, tiny_dataset_root), expected)
