"""What the bad-input tables draw on: the tiny dataset, a policy, batches, checkpoints, and the small
actions a new user takes that go wrong; and the one check every table row makes."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from tiny import REPO_ID, TINY_CONFIGS

from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.data.lerobot import LeRobotDataModule
from getiaction.errors import (
    GetiActionError,
)
from getiaction.policies.lerobot import ACT, Diffusion

TINY = TINY_CONFIGS["act"]

Case = tuple[Callable[["World"], object], type[Exception], tuple[str, ...]]
"""What the user does, the error type, words the message must contain."""
ACT_MAPPING = {"VISUAL": "MEAN_STD", "STATE": "MEAN_STD", "ACTION": "MEAN_STD"}  # ACTConfig's default


@dataclass
class World:
    """What the cases draw on: the tiny dataset, its features and statistics, a trained checkpoint."""

    meta: LeRobotDatasetMetadata
    root: Path
    tmp: Path

    @property
    def features(self) -> dict[str, Any]:
        return dataset_to_policy_features(self.meta.features)

    @property
    def inputs(self) -> dict[str, Any]:
        return {key: feature for key, feature in self.features.items() if key != "action"}

    @property
    def outputs(self) -> dict[str, Any]:
        return {"action": self.features["action"]}

    @property
    def stats(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self.meta.stats)

    def policy(self, **overrides: Any) -> ACT:
        arguments: dict[str, Any] = {
            "input_features": self.features,
            "output_features": self.features,
            "stats": self.stats,
            **TINY,
        }
        return ACT(**{**arguments, **overrides})

    def observation(self) -> dict[str, Any]:
        frame = LeRobotDataset(REPO_ID, root=self.root)[0]
        return {key: frame[key] for key in ("observation.state", "observation.image")}

    def batch(self) -> dict[str, Any]:
        policy = self.policy()
        from lerobot.datasets.factory import resolve_delta_timestamps

        dataset = LeRobotDataset(
            REPO_ID, root=self.root, delta_timestamps=resolve_delta_timestamps(policy.config, self.meta)
        )
        batch: dict[str, Any] = next(iter(torch.utils.data.DataLoader(dataset, batch_size=2)))
        return batch

    def fit(self, module: Any, **kwargs: Any) -> lightning.Trainer:
        trainer = lightning.Trainer(
            max_steps=1,
            accelerator="cpu",
            logger=False,
            enable_progress_bar=False,
            enable_model_summary=False,
            default_root_dir=self.tmp,
        )
        trainer.fit(module, **kwargs)
        return trainer

    def datamodule(self) -> LeRobotDataModule:
        return LeRobotDataModule(REPO_ID, root=self.root, num_workers=0, batch_size=4)

    def checkpoint(self) -> Path:
        path = self.tmp / "policy.ckpt"
        if not path.exists():
            trainer = self.fit(ACT(**TINY), datamodule=self.datamodule())
            trainer.save_checkpoint(path)
        return path

    def altered_checkpoint(self, alter: Callable[[dict[str, Any]], None]) -> Path:
        checkpoint = torch.load(self.checkpoint(), weights_only=True)
        alter(checkpoint)
        path = self.tmp / "altered.ckpt"
        torch.save(checkpoint, path)
        return path

    def pretrained(self) -> Path:
        return self.policy().save_pretrained(self.tmp / "pretrained")


def stats_with(world: World, feature: str, statistic: str, value: Any) -> dict[str, Any]:
    stats = world.stats
    stats[feature][statistic] = value
    return stats


def without(world: World, feature: str) -> dict[str, Any]:
    stats = world.stats
    del stats[feature]
    return stats


def fit_with_loader(world: World, batch: dict[str, Any], **policy: Any) -> None:
    loader = torch.utils.data.DataLoader([batch], batch_size=None, collate_fn=lambda item: item)
    world.fit(world.policy(**policy), train_dataloaders=loader)


def fit_without_stats(world: World) -> None:
    loader = torch.utils.data.DataLoader([world.batch()], batch_size=None, collate_fn=lambda item: item)
    world.fit(
        ACT(input_features=world.features, output_features=world.features, **TINY), train_dataloaders=loader
    )


def declared(world: World, key: str, shape: tuple[int, ...]) -> dict[str, Any]:
    features = dict(world.inputs)
    features[key] = {"type": features[key].type.value, "shape": list(shape)}
    return features


def _with(values: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``values`` with ``key`` set to ``value``, or without ``key`` when ``value`` is None."""
    if value is None:
        del values[key]
    else:
        values[key] = value
    return values


def batch_with(world: World, key: str, value: Any) -> dict[str, Any]:
    return _with(world.batch(), key, value)


def observation_with(world: World, key: str, value: Any) -> dict[str, Any]:
    return _with(world.observation(), key, value)


def mixed_pretrained(world: World) -> None:
    directory = world.pretrained()
    config = json.loads((directory / "config.json").read_text())
    config["type"] = "diffusion"
    (directory / "config.json").write_text(json.dumps(config))
    ACT.from_pretrained(directory)


def changed_processor(world: World) -> None:
    directory = world.pretrained()
    (name,) = [
        p.name
        for p in directory.iterdir()
        if p.name.startswith("policy_preprocessor") and p.suffix == ".safetensors"
    ]
    shutil.copy(directory / name, world.tmp / "stats.bak")
    other = world.policy(stats=stats_with(world, "action", "mean", [5.0, 5.0])).save_pretrained(
        world.tmp / "other"
    )
    shutil.copy(other / name, directory / name)  # the new save's statistics beside the old weights
    ACT.from_pretrained(directory)


def save_over_foreign_files(world: World) -> None:
    target = world.tmp / "my_project"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    try:
        world.policy().save_pretrained(target)
    finally:
        assert (target / "notes.txt").read_text() == "mine"  # nothing is lost


def diffusion(world: World) -> Diffusion:
    return Diffusion(
        input_features=world.features,
        output_features=world.features,
        stats=world.stats,
        **TINY_CONFIGS["diffusion"],
    )


def observation_of_batch_sizes(world: World, state: int, image: int) -> dict[str, Any]:
    observation = world.observation()
    return {
        "observation.state": observation["observation.state"].expand(state, 2).clone(),
        "observation.image": observation["observation.image"].expand(image, 3, 64, 64).clone(),
    }


def with_min_max_state(world: World) -> None:
    stats = world.stats
    stats["observation.state"]["max"] = stats["observation.state"]["min"]
    mapping = {"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", "ACTION": "MEAN_STD"}
    fit_with_loader(world, world.batch(), stats=stats, normalization_mapping=mapping)


def native_save_with_edited_config(world: World) -> None:
    directory = world.pretrained()
    (directory / "getiaction.json").unlink()  # as LeRobot saves it: no provenance to catch the edit
    config = json.loads((directory / "config.json").read_text())
    config["dim_model"] = 64
    (directory / "config.json").write_text(json.dumps(config))
    ACT.from_pretrained(directory)


def save_under_a_file(world: World) -> None:
    (world.tmp / "notes.txt").write_text("mine")
    world.policy().save_pretrained(world.tmp / "notes.txt" / "policy")


def held_out(world: World, stage: str) -> None:
    trainer = lightning.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
    run = trainer.test if stage == "test" else trainer.validate
    run(world.policy(), datamodule=world.datamodule())


def assert_fails_clearly(name: str, case: Case, world: World) -> None:
    """The case raises the named getiaction error, and its message holds every word the row lists."""
    action, error_type, words = case
    with pytest.raises(error_type) as raised:
        action(world)
    assert isinstance(raised.value, GetiActionError), (
        f"{name}: {type(raised.value).__name__} is not a getiaction error"
    )
    message = str(raised.value)
    missing = [word for word in words if word not in message]
    assert not missing, f"{name}: {missing} not in: {message}"
