"""Fine-tuning a pretrained policy as ``lerobot-train --policy.path=BASE`` does, against LeRobot's own recipe.

The native side is lerobot_train's (tests/lerobot_train_recipe.py), called as it calls it: the config read
from the base directory (``--policy.path``), ``make_dataset`` (ImageNet statistics for cameras),
``make_policy(cfg, ds_meta, rename_map)``, ``wrap_with_peft(peft_cli_overrides=asdict(cfg.peft))``,
``make_pre_post_processors`` with the overrides lerobot_train passes, then its ``update_policy`` steps. The
wrapper side is what a user writes: ``ACT.from_pretrained(BASE, ...)`` and ``Trainer.fit`` with a
``LeRobotDataModule``. tests/vla/test_vla_finetune.py reuses these helpers for smolvla and pi05.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.configs.default import DatasetConfig, PeftConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.train import TrainPipelineConfig
from lerobot.datasets.factory import make_dataset
from lerobot.policies.factory import make_policy, make_policy_config, make_pre_post_processors
from lerobot.processor import NormalizerProcessorStep
from lerobot_train_recipe import finetune_policy
from test_equivalence import (
    BATCH_SIZE,
    TRAIN_STEPS,
    _identity,
    _RecordLosses,
    assert_same_weights,
    update_natively,
)
from tiny import REPO_ID, TINY_CONFIGS
from tiny import make_dataset as record_dataset

from getiaction.data.lerobot import LeRobotDataModule
from getiaction.errors import ConfigError, FeatureError
from getiaction.policies.lerobot import ACT

pytest.importorskip("peft", reason="the PEFT cases need LeRobot's peft extra")

LORA = PeftConfig(target_modules=["linear1", "linear2"], r=4)  # ACT has no default targets
RENAMED_CAMERA = "observation.images.top"


@pytest.fixture(scope="module")
def base(tiny_meta: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pretrained ACT saved by LeRobot itself (``make_policy``, ``save_pretrained``)."""
    config = make_policy_config("act", **TINY_CONFIGS["act"])
    torch.manual_seed(0)
    policy = make_policy(config, ds_meta=tiny_meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=tiny_meta.stats)
    directory = tmp_path_factory.mktemp("base") / "act"
    for part in (policy, preprocessor, postprocessor):
        part.save_pretrained(directory)
    return directory


@pytest.fixture(scope="module")
def new_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's own recordings: the same features, statistics 8 times the base dataset's."""
    return record_dataset(tmp_path_factory.mktemp("new") / "data", seed=1, state_scale=8.0)


@pytest.fixture(scope="module")
def renamed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Recordings whose camera is named otherwise than the base policy's."""
    return record_dataset(tmp_path_factory.mktemp("renamed") / "data", seed=2, camera=RENAMED_CAMERA)


def lerobot_dataset(root: Path, base: Path, repo_id: str = REPO_ID) -> Any:
    """``make_dataset`` as lerobot_train calls it: delta timestamps from the policy, ImageNet camera stats."""
    policy = PreTrainedConfig.from_pretrained(base)
    return make_dataset(
        TrainPipelineConfig(dataset=DatasetConfig(repo_id=repo_id, root=str(root)), policy=policy)
    )


def fixed_batches(dataset: Any) -> list[dict[str, Any]]:
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False)
    iterator = iter(loader)
    return [next(iterator) for _ in range(TRAIN_STEPS)]


def finetune_natively(
    base: Path,
    dataset: Any,
    batches: list[dict[str, Any]],
    *,
    rename_map: dict[str, str] | None = None,
    peft: PeftConfig | None = None,
) -> tuple[list[float], Any, Any]:
    """lerobot_train's fine-tune of ``base`` on ``dataset``: losses, the trained policy, its preprocessor."""
    torch.manual_seed(0)
    config, policy, preprocessor = finetune_policy(base, dataset.meta, rename_map=rename_map, peft=peft)
    losses, trained = update_natively(config, policy, preprocessor, dataset.meta, batches)
    return losses, trained, preprocessor


class FixedBatchesDataModule(LeRobotDataModule):
    """A LeRobotDataModule (its metadata and statistics reach the policy in ``setup``) whose training
    batches are fixed, so both sides see the same ones."""

    def __init__(self, root: Path, batches: list[dict[str, Any]], repo_id: str = REPO_ID) -> None:
        super().__init__(repo_id, root=root, num_workers=0, batch_size=BATCH_SIZE)
        self._batches = batches

    def train_dataloader(self) -> torch.utils.data.DataLoader[Any]:
        return torch.utils.data.DataLoader(
            copy.deepcopy(self._batches), batch_size=None, collate_fn=_identity
        )


def fit(
    module: Any, root: Path, batches: list[dict[str, Any]], tmp: Path, repo_id: str = REPO_ID
) -> list[float]:
    recorder = _RecordLosses()
    trainer = lightning.Trainer(
        max_steps=TRAIN_STEPS,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[recorder],
        default_root_dir=tmp,
    )
    trainer.fit(module, datamodule=FixedBatchesDataModule(root, batches, repo_id))
    return recorder.losses


def normaliser_state(preprocessor: Any) -> dict[str, torch.Tensor]:
    (step,) = [step for step in preprocessor.steps if isinstance(step, NormalizerProcessorStep)]
    return dict(step.state_dict())


def assert_same_normaliser(native: Any, wrapped: Any) -> None:
    expected, actual = normaliser_state(native), normaliser_state(wrapped)
    assert expected.keys() == actual.keys()
    for key, value in expected.items():
        assert torch.equal(value, actual[key]), key


@pytest.mark.parametrize("peft", [None, LORA], ids=["full", "lora"])
def test_from_pretrained_then_fit_equals_lerobot_train_finetune(
    peft: PeftConfig | None, base: Path, new_root: Path, tmp_path: Path
) -> None:
    dataset = lerobot_dataset(new_root, base)
    batches = fixed_batches(dataset)
    native_losses, native, native_preprocessor = finetune_natively(base, dataset, batches, peft=peft)

    torch.manual_seed(0)
    wrapped = ACT.from_pretrained(base, peft=peft)
    losses = fit(wrapped, new_root, batches, tmp_path)

    assert losses == native_losses
    assert wrapped.lerobot_policy is not None and wrapped.preprocessor is not None
    assert_same_weights(native, wrapped.lerobot_policy)
    assert_same_normaliser(native_preprocessor, wrapped.preprocessor)
    # The new dataset's statistics, not the base model's (a state 8 times larger).
    state_mean = normaliser_state(wrapped.preprocessor)["observation.state.mean"]
    assert torch.equal(
        state_mean, torch.as_tensor(dataset.meta.stats["observation.state"]["mean"], dtype=torch.float32)
    )
    if peft is not None:
        trainable = {name for name, p in wrapped.lerobot_policy.named_parameters() if p.requires_grad}
        assert trainable and all("lora_" in name for name in trainable)


def test_rename_map_equals_lerobot_train_with_renamed_statistics(
    base: Path, renamed_root: Path, tmp_path: Path
) -> None:
    rename_map = {RENAMED_CAMERA: "observation.image"}
    dataset = lerobot_dataset(renamed_root, base)
    batches = fixed_batches(dataset)
    native_losses, native, native_preprocessor = finetune_natively(
        base, dataset, batches, rename_map=rename_map
    )

    torch.manual_seed(0)
    wrapped = ACT.from_pretrained(base, rename_map=rename_map)
    assert fit(wrapped, renamed_root, batches, tmp_path) == native_losses
    assert wrapped.lerobot_policy is not None and wrapped.preprocessor is not None
    assert_same_weights(native, wrapped.lerobot_policy)
    assert_same_normaliser(native_preprocessor, wrapped.preprocessor)
    assert "observation.image.mean" in normaliser_state(wrapped.preprocessor)  # the camera is normalised

    # Saved with the policy: LeRobot's own loader renames the same way.
    directory = wrapped.save_pretrained(tmp_path / "renamed")
    assert ACT.from_pretrained(directory, rename_map=rename_map).rename_map == rename_map


def test_a_checkpoint_keeps_the_statistics_it_renamed(base: Path, renamed_root: Path, tmp_path: Path) -> None:
    # The checkpoint holds the statistics under the policy's names; loading must not rename them again.
    # With this chain a second rename moves the camera's statistics to a key the policy does not have.
    rename_map = {RENAMED_CAMERA: "observation.image", "observation.image": "observation.images.wrist"}
    dataset = lerobot_dataset(renamed_root, base)
    module = ACT.from_pretrained(base, rename_map=rename_map)
    fit(module, renamed_root, fixed_batches(dataset)[:1], tmp_path)
    checkpoint = tmp_path / "renamed.ckpt"
    module.trainer.save_checkpoint(checkpoint)

    loaded = ACT.load_from_checkpoint(checkpoint)
    assert module.stats is not None and loaded.stats is not None
    assert loaded.stats.keys() == module.stats.keys()
    assert loaded.preprocessor is not None
    assert_same_normaliser(module.preprocessor, loaded.preprocessor)


def test_a_camera_named_otherwise_is_an_error_suggesting_rename_map(
    base: Path, renamed_root: Path, tmp_path: Path
) -> None:
    wrapped = ACT.from_pretrained(base)
    with pytest.raises(FeatureError) as error:
        fit(wrapped, renamed_root, [], tmp_path)
    message = str(error.value)
    assert "'observation.image'" in message and "no such feature" in message
    assert f"rename_map={{'{RENAMED_CAMERA}': 'observation.image'}}" in message


def test_a_state_of_another_size_names_both_shapes(base: Path, tmp_path: Path) -> None:
    root = record_dataset(tmp_path / "wide", seed=3, state_size=3)
    with pytest.raises(FeatureError, match=r"'observation.state'.*\(2,\).*\(3,\)"):
        fit(ACT.from_pretrained(base), root, [], tmp_path)


def test_lora_save_loads_in_lerobot_and_back_with_the_same_actions(
    base: Path, new_root: Path, tmp_path: Path
) -> None:
    dataset = lerobot_dataset(new_root, base)
    wrapped = ACT.from_pretrained(base, peft=LORA)
    fit(wrapped, new_root, fixed_batches(dataset), tmp_path)
    directory = wrapped.save_pretrained(tmp_path / "lora")
    assert (directory / "adapter_config.json").is_file() and not (directory / "model.safetensors").exists()

    # LeRobot's own loader (make_policy with use_peft=True), as lerobot-eval --policy.path loads it.
    config = PreTrainedConfig.from_pretrained(directory)
    config.pretrained_path = directory
    assert config.use_peft
    native = make_policy(config, ds_meta=dataset.meta).eval()
    preprocessor, postprocessor = make_pre_post_processors(config, pretrained_path=str(directory))
    again = ACT.from_pretrained(directory)

    frame = dataset[0]
    observation = {key: frame[key] for key in ("observation.state", "observation.image")}
    wrapped.eval()
    for module in (wrapped, again):
        module.reset()
    native.reset()
    with torch.no_grad():
        expected = postprocessor(native.select_action(preprocessor(copy.deepcopy(observation))))
    assert torch.equal(wrapped.select_action(copy.deepcopy(observation)), expected)
    assert torch.equal(again.select_action(copy.deepcopy(observation)), expected)


def test_a_loaded_checkpoint_fit_on_new_data_draws_fresh_random_numbers(
    base: Path, new_root: Path, tmp_path: Path
) -> None:
    # Only a resume (Trainer.fit(ckpt_path=...)) restores the saved RNG state; a loaded checkpoint is
    # fine-tuned with the seed the user sets.
    dataset = lerobot_dataset(new_root, base)
    batches = fixed_batches(dataset)
    module = ACT.from_pretrained(base)
    trainer = lightning.Trainer(
        max_steps=1, logger=False, enable_progress_bar=False, default_root_dir=tmp_path
    )
    trainer.fit(module, datamodule=FixedBatchesDataModule(new_root, batches[:1]))
    checkpoint = tmp_path / "first.ckpt"
    trainer.save_checkpoint(checkpoint)

    weights = []
    for seed in (123, 456):
        loaded = ACT.load_from_checkpoint(checkpoint)
        lightning.seed_everything(seed)
        again = lightning.Trainer(
            max_steps=2, logger=False, enable_progress_bar=False, default_root_dir=tmp_path
        )
        again.fit(loaded, datamodule=LeRobotDataModule(REPO_ID, root=new_root, num_workers=0, batch_size=4))
        assert loaded.lerobot_policy is not None
        weights.append(copy.deepcopy(loaded.lerobot_policy.state_dict()))
    assert any(not torch.equal(weights[0][key], weights[1][key]) for key in weights[0])


def test_peft_misuse_is_refused_by_name(base: Path) -> None:
    with pytest.raises(ConfigError, match=r"peft.*pretrained_path"):
        ACT(peft=PeftConfig(target_modules=["linear1"]), **TINY_CONFIGS["act"])
    with pytest.raises(ConfigError, match=r"peft\.target_modules"):
        ACT.from_pretrained(base, peft=PeftConfig())
    with pytest.raises(ConfigError, match="rename_map renames observations"):
        ACT.from_pretrained(base, rename_map={"action": "observation.image"})


def test_a_lora_run_resumes_bitwise(base: Path, new_root: Path, tmp_path: Path) -> None:
    def fit_steps(module: ACT, ckpt_path: Path | None = None) -> None:
        checkpoints = lightning.pytorch.callbacks.ModelCheckpoint(
            dirpath=tmp_path / "checkpoints", every_n_train_steps=2, save_top_k=-1, filename="{step}"
        )
        trainer = lightning.Trainer(
            max_steps=4,
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            callbacks=[checkpoints],
            default_root_dir=tmp_path,
        )
        data = LeRobotDataModule(REPO_ID, root=new_root, num_workers=0, batch_size=4)
        trainer.fit(module, datamodule=data, ckpt_path=ckpt_path)

    torch.manual_seed(0)
    uninterrupted = ACT.from_pretrained(base, peft=LORA)
    fit_steps(uninterrupted)
    torch.manual_seed(123)  # everything must come from the checkpoint
    resumed = ACT.from_pretrained(base, peft=LORA)
    fit_steps(resumed, ckpt_path=tmp_path / "checkpoints" / "step=2.ckpt")
    assert uninterrupted.lerobot_policy is not None and resumed.lerobot_policy is not None
    assert_same_weights(uninterrupted.lerobot_policy, resumed.lerobot_policy)
    # The checkpoint alone rebuilds the LoRA module (the base from pretrained_path, then the adapters).
    restored = ACT.load_from_checkpoint(tmp_path / "checkpoints" / "step=4.ckpt")
    assert restored.peft == LORA and restored.lerobot_policy is not None
    assert_same_weights(uninterrupted.lerobot_policy, restored.lerobot_policy)


def test_the_cli_fine_tunes_with_lora(base: Path, new_root: Path, tmp_path: Path) -> None:
    from getiaction.cli import run_cli

    configs = Path(__file__).parent.parent / "configs"
    cli = run_cli(
        [
            "fit",
            "--config",
            str(configs / "lerobot_act.yaml"),
            *(
                f"--model.init_args.{key}={value}"
                for key, value in TINY_CONFIGS["act"].items()
                if value is not None
            ),
            "--model.init_args.pretrained_backbone_weights=null",
            f"--model.init_args.pretrained_path={base}",
            "--model.init_args.peft.target_modules=[linear1, linear2]",
            "--model.init_args.peft.r=4",
            f"--data.init_args.repo_id={REPO_ID}",
            f"--data.init_args.root={new_root}",
            "--data.init_args.num_workers=0",
            "--trainer.max_steps=1",
            "--trainer.accelerator=cpu",
            "--trainer.enable_progress_bar=false",
            f"--trainer.default_root_dir={tmp_path}",
        ]
    )
    module = cli.model
    assert isinstance(module, ACT) and module.peft == LORA and module.lerobot_policy is not None
    trainable = [name for name, p in module.lerobot_policy.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in name for name in trainable)
    (checkpoint,) = tmp_path.rglob("*.ckpt")
    hparams = torch.load(checkpoint, weights_only=True)["hyper_parameters"]
    assert hparams["peft"]["r"] == 4 and hparams["pretrained_path"] == str(base)
