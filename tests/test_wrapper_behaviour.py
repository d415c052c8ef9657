"""Wrapper behaviour beyond equivalence: clear errors, building paths, logging, prediction."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.configs.types import FeatureType, PolicyFeature
from lerobot.datasets.factory import resolve_delta_timestamps
from tiny import REPO_ID, TINY_CONFIGS

from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.errors import FeatureError
from getiaction.policies.lerobot import ACT, POLICY_CLASSES, Diffusion, LeRobotPolicy

TINY_ACT = TINY_CONFIGS["act"]


def test_unknown_policy_name_lists_every_valid_name() -> None:
    with pytest.raises(ValueError, match="Unknown LeRobot policy name 'difusion'") as error:
        LeRobotPolicy("difusion")
    message = str(error.value)
    assert "Did you mean: diffusion?" in message
    for name in POLICY_CLASSES:
        assert name in message


def test_misspelled_keyword_names_the_closest_parameters() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'dim_modle'.*Did you mean: dim_model"):
        LeRobotPolicy("act", dim_modle=3)
    with pytest.raises(TypeError, match="dim_modle"):
        ACT(dim_modle=3)  # type: ignore[call-arg]


def test_upstream_validation_error_surfaces_at_construction_naming_the_wrapper() -> None:
    with pytest.raises(ValueError, match=r"^ACT: ACTConfig rejected the configuration: .*n_action_steps"):
        ACT(chunk_size=10, n_action_steps=20)
    with pytest.raises(ValueError, match=r"^LeRobotPolicy: ACTConfig rejected"):
        LeRobotPolicy("act", chunk_size=10, n_action_steps=20)
    with pytest.raises(NotImplementedError, match="temporal ensembling"):
        ACT(temporal_ensemble_coeff=0.01, n_action_steps=10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dim_model": "big"}, r"`dim_model`: Couldn't parse 'big' into an int"),
        ({"normalization_mapping": {"VISUAL": "NOPE"}}, r"normalization_mapping\['VISUAL'\] = 'NOPE'"),
        ({"input_features": {"observation.state": {"type": "STATE", "shape": "x"}}}, r"`input_features`"),
    ],
)
def test_wrong_value_types_name_the_field(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ACT(**kwargs)


def test_plain_values_decode_like_yaml() -> None:
    policy = ACT(
        normalization_mapping={"VISUAL": "IDENTITY", "STATE": "MIN_MAX", "ACTION": "MEAN_STD"},  # type: ignore[dict-item]
        input_features={"observation.state": {"type": "STATE", "shape": [2]}},  # type: ignore[dict-item]
    )
    assert policy.config.normalization_mapping["STATE"].value == "MIN_MAX"
    assert policy.config.input_features == {"observation.state": PolicyFeature(FeatureType.STATE, (2,))}


def test_unbuilt_module_explains_how_to_build_it() -> None:
    policy = ACT(**TINY_ACT)
    assert policy.lerobot_policy is None
    with pytest.raises(FeatureError, match="not built yet: it was given no features"):
        policy.select_action({})
    features = dataset_to_policy_features(
        {"observation.state": {"dtype": "float32", "shape": (2,), "names": None}}
    )
    with pytest.raises(FeatureError, match="given input_features, not output_features"):
        ACT(input_features=features, **TINY_ACT).select_action({})


def test_fit_without_features_or_datamodule_is_a_clear_error() -> None:
    trainer = lightning.Trainer(
        max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    loader = torch.utils.data.DataLoader([{"action": torch.zeros(1, 2)}], batch_size=None)
    with pytest.raises(ValueError, match=r"no input/output features.*LeRobotDataModule"):
        trainer.fit(ACT(**TINY_ACT), train_dataloaders=loader)


def test_shared_feature_mapping_is_split_by_type(tiny_meta: LeRobotDatasetMetadata) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    policy = ACT(input_features=features, output_features=features, **TINY_ACT)
    assert set(policy.config.output_features) == {"action"}
    assert set(policy.config.input_features) == {"observation.state", "observation.image"}
    # Raw dataset feature specs (meta.features, with dtype) are accepted the same way.
    raw = ACT(input_features=tiny_meta.features, output_features=tiny_meta.features, **TINY_ACT)
    assert raw.config.input_features == policy.config.input_features
    assert raw.config.output_features == policy.config.output_features


def _trained_act(
    meta: LeRobotDatasetMetadata, root: Path, **trainer_kwargs: Any
) -> tuple[ACT, lightning.Trainer]:
    features = dataset_to_policy_features(meta.features)
    policy = ACT(input_features=features, output_features=features, stats=meta.stats, **TINY_ACT)
    dataset = LeRobotDataset(
        REPO_ID, root=root, delta_timestamps=resolve_delta_timestamps(policy.config, meta)
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=True)
    trainer = lightning.Trainer(
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        **trainer_kwargs,
    )
    trainer.fit(policy, train_dataloaders=loader, val_dataloaders=loader)
    return policy, trainer


def test_native_dataloader_training_logs_lerobot_losses(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    _, trainer = _trained_act(
        tiny_meta, tiny_dataset_root, max_steps=2, limit_val_batches=1, val_check_interval=1
    )
    metrics = trainer.callback_metrics
    for key in (
        "train/loss",
        "train/l1_loss",
        "train/kld_loss",
        "train/grad_norm",
        "val/loss",
        "val/l1_loss",
    ):
        assert key in metrics, f"{key} not logged (got {sorted(metrics)})"
        assert torch.isfinite(metrics[key])


def test_predict_returns_unnormalised_actions(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    policy, trainer = _trained_act(tiny_meta, tiny_dataset_root, max_steps=1, limit_val_batches=0)
    dataset = LeRobotDataset(REPO_ID, root=tiny_dataset_root)
    keys = ("observation.state", "observation.image")
    samples = [{key: dataset[index][key] for key in keys} for index in range(3)]
    loader = torch.utils.data.DataLoader(samples, batch_size=3)
    (predicted,) = trainer.predict(policy, loader)
    policy.reset()
    batch = {key: torch.stack([sample[key] for sample in samples]) for key in keys}
    assert predicted.shape == (3, 2)
    assert torch.equal(predicted, policy.select_action(copy.deepcopy(batch)))


def test_predict_action_chunk_returns_the_unnormalised_chunk(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    policy = ACT(input_features=features, output_features=features, stats=tiny_meta.stats, **TINY_ACT).eval()
    observation = {
        key: LeRobotDataset(REPO_ID, root=tiny_dataset_root)[0][key]
        for key in ("observation.state", "observation.image")
    }
    chunk = policy.predict_action_chunk(copy.deepcopy(observation))
    assert chunk.shape == (1, TINY_ACT["chunk_size"], 2)
    policy.reset()
    assert torch.equal(policy.select_action(copy.deepcopy(observation)), chunk[:, 0])


def test_scheduler_is_stepped_every_optimizer_step(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    policy = Diffusion(
        input_features=features, output_features=features, stats=tiny_meta.stats, **TINY_CONFIGS["diffusion"]
    )
    dataset = LeRobotDataset(
        REPO_ID, root=tiny_dataset_root, delta_timestamps=resolve_delta_timestamps(policy.config, tiny_meta)
    )
    trainer = lightning.Trainer(
        max_steps=3, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    trainer.fit(policy, train_dataloaders=torch.utils.data.DataLoader(dataset, batch_size=4))
    (scheduler,) = trainer.lr_scheduler_configs
    assert scheduler.interval == "step"
    assert scheduler.scheduler.last_epoch == 3
    # LeRobot's preset: cosine with warmup over the Trainer's max_steps.
    warmup = policy.config.scheduler_warmup_steps
    expected_lr = policy.config.optimizer_lr * 3 / warmup
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(expected_lr)


def test_importing_the_package_imports_neither_lerobot_nor_lightning() -> None:
    code = (
        "import sys, getiaction.policies.lerobot as p; "
        "assert 'lerobot' not in sys.modules and 'lightning' not in sys.modules, sorted(sys.modules); "
        "assert p.is_available(); assert 'ACT' in dir(p)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_lerobot_the_package_imports_and_classes_explain_the_install() -> None:
    code = """
import sys
sys.modules["lerobot"] = None  # as if not installed: `import lerobot` raises ImportError
import getiaction.policies.lerobot as p
assert p.is_available() is False
try:
    p.ACT
except ImportError as error:
    assert "pip install" in str(error) and "lerobot" in str(error), error
else:
    raise AssertionError("no ImportError")
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_universal_from_dataset_checks_features_given_in_policy_config(
    tiny_meta: LeRobotDatasetMetadata,
) -> None:
    from getiaction.errors import FeatureError

    features = dataset_to_policy_features(tiny_meta.features)
    inputs = {key: feature for key, feature in features.items() if key != "action"}
    declared = {
        "input_features": {**inputs, "observation.state": {"type": "STATE", "shape": [3]}},
        "output_features": {"action": features["action"]},
    }
    with pytest.raises(FeatureError, match=r"'observation.state'.*\(3,\).*\(2,\)"):
        LeRobotPolicy.from_dataset(tiny_meta, policy_name="act", policy_config={**TINY_ACT, **declared})


def test_generated_packages_register_their_classes_for_the_runtime() -> None:
    from getiaction.policies.lerobot import _registry

    registered = _registry.entry("act")
    assert registered is not None and registered.class_path == "getiaction.policies.lerobot.ACT"
    assert registered.load() is ACT
    assert _registry.entry_for_class(ACT) == registered
    assert _registry.registered_types() == sorted(POLICY_CLASSES)
    # The universal wrapper records the explicit class, so the CLI's --ckpt_path rebuilds that one.
    assert LeRobotPolicy("act", **TINY_ACT).hparams["_class_path"] == "getiaction.policies.lerobot.ACT"

    class MyACT(ACT):
        pass

    assert MyACT(**TINY_ACT).hparams["_class_path"].endswith(".<locals>.MyACT")  # its own class
