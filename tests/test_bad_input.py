"""Bad input, as a new user would give it: one table of input -> error type and the words it must contain.

Every case here once crashed deep inside LeRobot or torch, or was silently accepted and gave wrong
results (or is a neighbour of one that did). Each must now fail where the facts first meet, with an
error of getiaction's family that names the field, feature or file, what was expected and what was given.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.policies.act.configuration_act import ACTConfig
from tiny import REPO_ID, TINY_CONFIGS

from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.cli import resolve_universal_specs
from getiaction.data.lerobot import LeRobotDataModule
from getiaction.errors import (
    BatchError,
    ConfigError,
    ConfigTypeError,
    DatasetError,
    FeatureError,
    GetiActionError,
    SavedPolicyError,
    StatsError,
)
from getiaction.policies.lerobot import ACT, TDMPC, Diffusion, LeRobotPolicy, MultiTaskDiT, VQBeT

TINY = TINY_CONFIGS["act"]
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


def _stats_with(world: World, feature: str, statistic: str, value: Any) -> dict[str, Any]:
    stats = world.stats
    stats[feature][statistic] = value
    return stats


def _without(world: World, feature: str) -> dict[str, Any]:
    stats = world.stats
    del stats[feature]
    return stats


def _fit_with_loader(world: World, batch: dict[str, Any], **policy: Any) -> None:
    loader = torch.utils.data.DataLoader([batch], batch_size=None, collate_fn=lambda item: item)
    world.fit(world.policy(**policy), train_dataloaders=loader)


def _fit_without_stats(world: World) -> None:
    loader = torch.utils.data.DataLoader([world.batch()], batch_size=None, collate_fn=lambda item: item)
    world.fit(
        ACT(input_features=world.features, output_features=world.features, **TINY), train_dataloaders=loader
    )


def _declared(world: World, key: str, shape: tuple[int, ...]) -> dict[str, Any]:
    features = dict(world.inputs)
    features[key] = {"type": features[key].type.value, "shape": list(shape)}
    return features


def _batch_with(world: World, key: str, value: Any) -> dict[str, Any]:
    batch = world.batch()
    if value is None:
        del batch[key]
    else:
        batch[key] = value
    return batch


def _observation_with(world: World, key: str, value: Any) -> dict[str, Any]:
    observation = world.observation()
    if value is None:
        del observation[key]
    else:
        observation[key] = value
    return observation


def _mixed_pretrained(world: World) -> None:
    directory = world.pretrained()
    config = json.loads((directory / "config.json").read_text())
    config["type"] = "diffusion"
    (directory / "config.json").write_text(json.dumps(config))
    ACT.from_pretrained(directory)


def _changed_processor(world: World) -> None:
    directory = world.pretrained()
    (name,) = [
        p.name
        for p in directory.iterdir()
        if p.name.startswith("policy_preprocessor") and p.suffix == ".safetensors"
    ]
    shutil.copy(directory / name, world.tmp / "stats.bak")
    other = world.policy(stats=_stats_with(world, "action", "mean", [5.0, 5.0])).save_pretrained(
        world.tmp / "other"
    )
    shutil.copy(other / name, directory / name)  # the new save's statistics beside the old weights
    ACT.from_pretrained(directory)


def _save_over_foreign_files(world: World) -> None:
    target = world.tmp / "my_project"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    try:
        world.policy().save_pretrained(target)
    finally:
        assert (target / "notes.txt").read_text() == "mine"  # nothing is lost


def _diffusion(world: World) -> Diffusion:
    return Diffusion(
        input_features=world.features,
        output_features=world.features,
        stats=world.stats,
        **TINY_CONFIGS["diffusion"],
    )


def _observation_of_batch_sizes(world: World, state: int, image: int) -> dict[str, Any]:
    observation = world.observation()
    return {
        "observation.state": observation["observation.state"].expand(state, 2).clone(),
        "observation.image": observation["observation.image"].expand(image, 3, 64, 64).clone(),
    }


def _with_min_max_state(world: World) -> None:
    stats = world.stats
    stats["observation.state"]["max"] = stats["observation.state"]["min"]
    mapping = {"VISUAL": "MEAN_STD", "STATE": "MIN_MAX", "ACTION": "MEAN_STD"}
    _fit_with_loader(world, world.batch(), stats=stats, normalization_mapping=mapping)


def _native_save_with_edited_config(world: World) -> None:
    directory = world.pretrained()
    (directory / "getiaction.json").unlink()  # as LeRobot saves it: no provenance to catch the edit
    config = json.loads((directory / "config.json").read_text())
    config["dim_model"] = 64
    (directory / "config.json").write_text(json.dumps(config))
    ACT.from_pretrained(directory)


def _save_under_a_file(world: World) -> None:
    (world.tmp / "notes.txt").write_text("mine")
    world.policy().save_pretrained(world.tmp / "notes.txt" / "policy")


def _held_out(world: World, stage: str) -> None:
    trainer = lightning.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False)
    run = trainer.test if stage == "test" else trainer.validate
    run(world.policy(), datamodule=world.datamodule())


# name -> (what the user does, the error type, words the message must contain)
CASES: dict[str, tuple[Callable[[World], object], type[Exception], tuple[str, ...]]] = {
    # --- parameters at construction
    "size below one": (
        lambda w: ACT(chunk_size=0, n_action_steps=0),
        ConfigError,
        ("chunk_size", "at least 1", "0"),
    ),
    "zero heads": (lambda w: ACT(n_heads=0), ConfigError, ("n_heads", "at least 1")),
    "bool for an int": (lambda w: ACT(dim_model=True), ConfigTypeError, ("dim_model", "int", "bool True")),
    "probability above one": (lambda w: ACT(dropout=1.5), ConfigError, ("dropout", "[0, 1]", "1.5")),
    "negative learning rate": (
        lambda w: ACT(optimizer_lr=-1e-4),
        ConfigError,
        ("optimizer_lr", "0 or more", "-0.0001"),
    ),
    "beta of one": (
        lambda w: Diffusion(optimizer_betas=(0.9, 1.0)),
        ConfigError,
        ("optimizer_betas", "[0, 1)"),
    ),
    "string for an int": (lambda w: ACT(dim_model="big"), ConfigError, ("dim_model", "big")),  # type: ignore[arg-type]
    "upstream refusal": (
        lambda w: ACT(chunk_size=10, n_action_steps=20),
        ConfigError,
        ("ACTConfig", "n_action_steps"),
    ),
    "misspelled parameter": (
        lambda w: LeRobotPolicy("act", dim_modle=3),
        ConfigTypeError,
        ("dim_modle", "dim_model"),
    ),
    "misspelled policy": (lambda w: LeRobotPolicy("difusion"), ConfigError, ("difusion", "diffusion")),
    # --- features declared
    "output typed STATE": (
        lambda w: w.policy(output_features={"observation.state": {"type": "STATE", "shape": [2]}}),
        FeatureError,
        ("observation.state", "STATE", "ACTION"),
    ),
    "no ACTION output": (
        lambda w: w.policy(
            output_features={k: f for k, f in w.features.items() if k != "action"},
            input_features={k: f for k, f in w.features.items() if k != "action"},
        ),
        FeatureError,
        ("ACTION", "observation.state"),
    ),
    "camera of two dimensions": (
        lambda w: w.policy(
            input_features={**w.inputs, "observation.image": {"type": "VISUAL", "shape": [64, 64]}},
            output_features=w.outputs,
        ),
        FeatureError,
        ("observation.image", "(channels, height, width)", "(64, 64)"),
    ),
    "feature of size zero": (
        lambda w: w.policy(
            input_features={"observation.state": {"type": "STATE", "shape": [0]}}, output_features=w.outputs
        ),
        FeatureError,
        ("observation.state", "positive", "(0,)"),
    ),
    # --- features against the dataset
    "state (3,) against data (2,)": (
        lambda w: w.fit(
            ACT(input_features=_declared(w, "observation.state", (3,)), output_features=w.outputs, **TINY),
            datamodule=w.datamodule(),
        ),
        FeatureError,
        ("observation.state", "(3,)", "(2,)"),
    ),
    "camera channels-last against channels-first data": (
        lambda w: ACT.from_dataset(
            w.meta,
            input_features=_declared(w, "observation.image", (64, 64, 3)),
            output_features=w.outputs,
            **TINY,
        ),
        FeatureError,
        ("observation.image", "(64, 64, 3)", "(3, 64, 64)", "channels-first"),
    ),
    "feature the dataset lacks": (
        lambda w: ACT.from_dataset(
            w.meta,
            input_features={**w.inputs, "observation.velocity": {"type": "STATE", "shape": [2]}},
            output_features=w.outputs,
            **TINY,
        ),
        FeatureError,
        ("observation.velocity", "no such feature"),
    ),
    # --- statistics
    "NaN statistics": (
        lambda w: w.policy(stats=_stats_with(w, "observation.state", "mean", [math.nan, 0.0])),
        StatsError,
        ("observation.state", "mean", "NaN"),
    ),
    "statistics without the action": (
        lambda w: w.policy(stats=_without(w, "action")),
        StatsError,
        ("action", "MEAN_STD", "IDENTITY"),
    ),
    "statistics of the wrong shape": (
        lambda w: w.policy(stats=_stats_with(w, "action", "std", [1.0] * 5)),
        StatsError,
        ("action", "std", "(5,)", "(2,)"),
    ),
    "statistics missing std": (
        lambda w: w.policy(stats={**w.stats, "action": {"mean": w.stats["action"]["mean"]}}),
        StatsError,
        ("action", "['mean', 'std']", "['mean']"),
    ),
    "statistics not a mapping": (lambda w: w.policy(stats=[1, 2]), StatsError, ("stats", "list")),  # type: ignore[arg-type]
    "training with no statistics at all": (
        _fit_without_stats,
        StatsError,
        ("normalised", "stats=dataset.meta.stats", "IDENTITY"),
    ),
    # --- batches and observations
    "batch without action": (
        lambda w: _fit_with_loader(w, _batch_with(w, "action", None)),
        BatchError,
        ("batch has no 'action'",),
    ),
    "state (B, 1) for a (2,) feature": (
        lambda w: w.policy().select_action(_observation_with(w, "observation.state", torch.zeros(1, 1))),
        BatchError,
        ("observation.state", "(1, 1)", "(2,)"),
    ),
    "observation without its state": (
        lambda w: w.policy().select_action(_observation_with(w, "observation.state", None)),
        BatchError,
        ("observation has no 'observation.state'",),
    ),
    "a list instead of a tensor": (
        lambda w: w.policy().select_action(_observation_with(w, "observation.state", [0.1, 0.2])),
        BatchError,
        ("observation.state", "torch.Tensor", "list"),
    ),
    "channels-last frame": (
        lambda w: w.policy().select_action(
            _observation_with(w, "observation.image", torch.zeros(1, 64, 64, 3))
        ),
        BatchError,
        ("observation.image", "(1, 64, 64, 3)", "(3, 64, 64)"),
    ),
    # --- saved files
    "unknown hyperparameter in a checkpoint": (
        lambda w: ACT.load_from_checkpoint(
            w.altered_checkpoint(lambda c: c["hyper_parameters"].update(dim_modell=3))
        ),
        SavedPolicyError,
        ("altered.ckpt", "dim_modell", "not fields"),
    ),
    "checkpoint whose statistics were removed": (
        lambda w: ACT.load_from_checkpoint(w.altered_checkpoint(lambda c: c["getiaction"].pop("stats"))),
        SavedPolicyError,
        ("altered.ckpt", "stats", "altered"),
    ),
    "checkpoint with NaN statistics": (
        lambda w: ACT.load_from_checkpoint(
            w.altered_checkpoint(
                lambda c: c["getiaction"]["stats"]["action"].update(mean=torch.tensor([math.nan, 0.0]))
            )
        ),
        StatsError,
        ("action", "NaN"),
    ),
    "unknown override when loading": (
        lambda w: ACT.load_from_checkpoint(w.checkpoint(), dim_modle=3),
        ConfigTypeError,
        ("dim_modle", "dim_model"),
    ),
    "pretrained directory mixing two saves": (
        _changed_processor,
        SavedPolicyError,
        ("policy_preprocessor", "changed since"),
    ),
    "provenance disagreeing with config.json": (
        _mixed_pretrained,
        SavedPolicyError,
        ("getiaction.json", "'act'", "'diffusion'"),
    ),
    "saving over someone's files": (
        _save_over_foreign_files,
        SavedPolicyError,
        ("my_project", "notes.txt", "new or empty"),
    ),
    # --- config rules and names (issue 18): checked from the config at construction, no dataset needed
    # unless the rule depends on its features
    "heads not dividing dim_model": (
        lambda w: ACT(n_heads=3, dim_model=64),
        ConfigError,
        ("dim_model (64)", "multiple of n_heads (3)", "63 or 66"),
    ),
    "GPT heads not dividing its width": (
        lambda w: VQBeT(gpt_n_head=3, gpt_hidden_dim=16),
        ConfigError,
        ("gpt_hidden_dim (16)", "gpt_n_head (3)"),
    ),
    "ACT with cameras and dim_model not a multiple of 4": (
        lambda w: w.policy(dim_model=34),
        ConfigError,
        ("dim_model", "multiple of 4", "observation.image", "34"),
    ),
    "backbone torchvision lacks (ACT)": (
        lambda w: ACT(vision_backbone="resnet999"),
        ConfigError,
        ("vision_backbone", "'resnet999'", "torchvision", "resnet18"),
    ),
    "backbone torchvision lacks (Diffusion)": (
        lambda w: Diffusion(vision_backbone="resnet999"),
        ConfigError,
        ("vision_backbone", "'resnet999'", "resnet50"),
    ),
    "weights of another backbone": (
        lambda w: ACT(vision_backbone="resnet34"),
        ConfigError,
        ("pretrained_backbone_weights", "resnet34", "ResNet34_Weights.IMAGENET1K_V1"),
    ),
    "group norm over pretrained weights": (
        lambda w: Diffusion.from_dataset(
            w.meta,
            **{**TINY_CONFIGS["diffusion"], "pretrained_backbone_weights": "ResNet18_Weights.IMAGENET1K_V1"},
        ),
        ConfigError,
        ("use_group_norm", "pretrained_backbone_weights", "use_group_norm=False"),
    ),
    "empty down_dims": (lambda w: Diffusion(down_dims=()), ConfigError, ("down_dims", "at least one entry")),
    "down_dims not split by n_groups": (
        lambda w: Diffusion(down_dims=(16, 24), n_groups=16),
        ConfigError,
        ("down_dims", "n_groups (16)", "24"),
    ),
    "even U-Net kernel": (lambda w: Diffusion(kernel_size=4), ConfigError, ("kernel_size", "odd", "3 or 5")),
    "odd timestep embedding": (
        lambda w: Diffusion(diffusion_step_embed_dim=15),
        ConfigError,
        ("diffusion_step_embed_dim", "even", "15"),
    ),
    "more elites than CEM candidates": (
        lambda w: TDMPC(**{**TINY_CONFIGS["tdmpc"], "n_elites": 100}),
        ConfigError,
        ("n_elites (100)", "n_gaussian_samples + n_pi_samples", "12"),
    ),
    "GPT block too short for the dataset's inputs": (
        lambda w: VQBeT.from_dataset(w.meta, **{**TINY_CONFIGS["vqbet"], "gpt_block_size": 6}),
        ConfigError,
        ("gpt_block_size (6)", "7 tokens", "n_obs_steps"),
    ),
    "size beyond any model": (
        lambda w: ACT(dim_model=2**40),
        ConfigError,
        ("dim_model", "at most", "1099511627776"),
    ),
    "chunk_size overflowing int64": (
        lambda w: ACT(chunk_size=2**70, n_action_steps=1),
        ConfigError,
        ("chunk_size", "at most 1048576"),
    ),
    "normalization key not a feature type": (
        lambda w: ACT(normalization_mapping={**ACT_MAPPING, "BOGUS": "MEAN_STD"}),  # type: ignore[dict-item]
        ConfigError,
        ("'BOGUS'", "FeatureType", "VISUAL"),
    ),
    "normalization key in lower case": (
        lambda w: ACT(
            normalization_mapping={"visual": "MEAN_STD", "STATE": "MEAN_STD", "ACTION": "MEAN_STD"}
        ),  # type: ignore[dict-item]
        ConfigError,
        ("'visual'", "Did you mean: VISUAL"),
    ),
    "NaN learning rate": (
        lambda w: ACT(optimizer_lr=math.nan),
        ConfigError,
        ("optimizer_lr", "finite", "nan"),
    ),
    "infinite weight decay": (
        lambda w: ACT(optimizer_weight_decay=math.inf),
        ConfigError,
        ("optimizer_weight_decay", "finite", "inf"),
    ),
    "NaN KL weight": (lambda w: ACT(kl_weight=math.nan), ConfigError, ("kl_weight", "finite", "nan")),
    "discount above one": (
        lambda w: TDMPC(discount=1.5),
        ConfigError,
        ("discount", "0 < discount <= 1", "1.5"),
    ),
    "min_std above max_std": (
        lambda w: TDMPC(min_std=3.0, max_std=2.0),
        ConfigError,
        ("min_std (3.0)", "max_std (2.0)"),
    ),
    "chunk that keeps fewer than n_action_steps": (
        lambda w: Diffusion(horizon=8, n_obs_steps=2, n_action_steps=8),
        ConfigError,
        ("n_action_steps (8)", "horizon - n_obs_steps + 1 = 7", "horizon to 9"),
    ),
    "the same window in multi_task_dit": (
        lambda w: MultiTaskDiT(horizon=8, n_obs_steps=2, n_action_steps=8),
        ConfigError,
        ("n_action_steps (8)", "horizon - n_obs_steps + 1 = 7"),
    ),
    "normalization_mapping without ACTION": (
        lambda w: ACT(normalization_mapping={"VISUAL": "MEAN_STD", "STATE": "MEAN_STD"}),  # type: ignore[dict-item]
        ConfigError,
        ("normalization_mapping has no 'ACTION'", "'ACTION': 'MEAN_STD'", "'ACTION': 'IDENTITY'"),
    ),
    "normalization_mapping without STATE, for a dataset with a state": (
        lambda w: ACT.from_dataset(
            w.meta, normalization_mapping={"VISUAL": "MEAN_STD", "ACTION": "MEAN_STD"}, **TINY
        ),  # type: ignore[dict-item]
        ConfigError,
        ("no 'STATE'", "observation.state", "'STATE': 'IDENTITY'"),
    ),
    "the design's learning_rate": (
        lambda w: ACT(learning_rate=1e-4),  # type: ignore[call-arg]
        ConfigTypeError,
        ("'learning_rate'", "'optimizer_lr'"),
    ),
    "the design's dataset_stats": (
        lambda w: ACT(dataset_stats=w.stats),  # type: ignore[call-arg]
        ConfigTypeError,
        ("'dataset_stats'", "'stats'"),
    ),
    "a config object": (
        lambda w: ACT(config=ACTConfig()),  # type: ignore[call-arg]
        ConfigTypeError,
        ("'config'", "keyword arguments", "from_pretrained"),
    ),
    "the design's learning_rate, from a dataset": (
        lambda w: ACT.from_dataset(w.meta, learning_rate=1e-4, **TINY),
        ConfigTypeError,
        ("'learning_rate'", "'optimizer_lr'"),
    ),
    "the design's learning_rate, by name": (
        lambda w: LeRobotPolicy("act", learning_rate=1e-4),
        ConfigTypeError,
        ("'learning_rate'", "'optimizer_lr'"),
    ),
    "the design's dataset_stats, by name": (
        lambda w: LeRobotPolicy("act", dataset_stats=w.stats),
        ConfigTypeError,
        ("'dataset_stats'", "'stats'"),
    ),
    "the design's learning_rate, in the CLI": (
        lambda w: resolve_universal_specs(
            [
                "fit",
                "--model",
                json.dumps(
                    {
                        "class_path": "getiaction.policies.lerobot.LeRobotPolicy",
                        "init_args": {"policy_name": "act", "learning_rate": 1e-4},
                    }
                ),
            ]
        ),
        ConfigTypeError,
        ("'learning_rate'", "'optimizer_lr'"),
    ),
    "sac, renamed": (lambda w: LeRobotPolicy("sac"), ConfigError, ("'sac'", "gaussian_actor")),
    "pi0fast, renamed": (lambda w: LeRobotPolicy("pi0fast"), ConfigError, ("'pi0fast'", "'pi0_fast'")),
    "reward_classifier, no policy now": (
        lambda w: LeRobotPolicy("reward_classifier"),
        ConfigError,
        ("'reward_classifier'", "reward model", "lerobot.rewards.classifier"),
    ),
    "universal from_dataset without the dataset": (
        lambda w: LeRobotPolicy.from_dataset("act"),  # type: ignore[call-overload]
        ConfigTypeError,
        ("from_dataset('act', dataset)", "policy_name"),
    ),
    # --- round two: features declared by hand
    "camera declared channels-last": (
        lambda w: w.policy(
            input_features={**w.inputs, "observation.image": {"type": "VISUAL", "shape": [64, 64, 3]}},
            output_features=w.outputs,
        ),
        FeatureError,
        ("observation.image", "channels-first", "(3, 64, 64)"),
    ),
    "camera typed STATE": (
        lambda w: w.policy(
            input_features={**w.inputs, "observation.image": {"type": "STATE", "shape": [3, 64, 64]}},
            output_features=w.outputs,
        ),
        FeatureError,
        ("observation.image", "STATE", "VISUAL"),
    ),
    "from_dataset with outputs that are not actions": (
        lambda w: ACT.from_dataset(
            w.meta, output_features={"observation.state": {"type": "STATE", "shape": [2]}}, **TINY
        ),
        FeatureError,
        ("observation.state", "not ACTION"),
    ),
    # --- round two: batches and observations
    "observation of batch size 0": (
        lambda w: w.policy().select_action(_observation_of_batch_sizes(w, 0, 0)),
        BatchError,
        ("batch size 0",),
    ),
    "training batch of size 0": (
        lambda w: _fit_with_loader(w, {key: value[:0] for key, value in w.batch().items()}),
        BatchError,
        ("batch size 0",),
    ),
    "state batch of 2, image batch of 1": (
        lambda w: w.policy().select_action(_observation_of_batch_sizes(w, 2, 1)),
        BatchError,
        ("batch size", "'observation.state': 2", "'observation.image': 1"),
    ),
    "training batch without action_is_pad": (
        lambda w: _fit_with_loader(w, _batch_with(w, "action_is_pad", None)),
        BatchError,
        ("action_is_pad", "delta_timestamps"),
    ),
    "training action without its chunk": (
        lambda w: _fit_with_loader(w, _batch_with(w, "action", w.batch()["action"][:, 0])),
        BatchError,
        ("'action'", "4 time steps", "(batch, 4, 2)"),
    ),
    "predict_action_chunk of a raw observation without its history": (
        lambda w: _diffusion(w).predict_action_chunk(w.observation()),
        BatchError,
        ("observation.state", "2 time steps", "(batch, 2, 2)"),
    ),
    "int32 camera frames": (
        lambda w: w.policy().select_action(
            _observation_with(w, "observation.image", torch.zeros(1, 3, 64, 64, dtype=torch.int32))
        ),
        BatchError,
        ("observation.image", "torch.int32", "uint8"),
    ),
    "NaN in an observation": (
        lambda w: w.policy().select_action(
            _observation_with(w, "observation.state", torch.tensor([[math.nan, 0.0]]))
        ),
        BatchError,
        ("observation.state", "NaN"),
    ),
    "NaN in a training batch": (
        lambda w: _fit_with_loader(
            w, _batch_with(w, "observation.state", torch.full_like(w.batch()["observation.state"], math.nan))
        ),
        BatchError,
        ("training loss is nan", "step 0", "'observation.state'"),
    ),
    # --- round two: statistics against the data
    "std of 0 where the data varies": (
        lambda w: _fit_with_loader(w, w.batch(), stats=_stats_with(w, "action", "std", [0.0, 0.0])),
        StatsError,
        ("'action'", "std is 0", "varies"),
    ),
    "min equals max where the data varies": (
        _with_min_max_state,
        StatsError,
        ("'observation.state'", "min equals max", "varies"),
    ),
    # --- round two: saved files
    "checkpoint missing a hyperparameter": (
        lambda w: ACT.load_from_checkpoint(
            w.altered_checkpoint(lambda c: c["hyper_parameters"].pop("dropout"))
        ),
        SavedPolicyError,
        ("altered.ckpt", "['dropout']"),
    ),
    "checkpoint without hyperparameters": (
        lambda w: ACT.load_from_checkpoint(w.altered_checkpoint(lambda c: c.pop("hyper_parameters"))),
        SavedPolicyError,
        ("altered.ckpt", "no hyperparameters"),
    ),
    "checkpoint loaded with shape-changing overrides": (
        lambda w: ACT.load_from_checkpoint(w.checkpoint(), chunk_size=5, n_action_steps=5),
        SavedPolicyError,
        ("policy.ckpt", "do not fit", "chunk_size=5"),
    ),
    "pretrained loaded with a shape-changing override": (
        lambda w: ACT.from_pretrained(w.pretrained(), dim_model=64),
        SavedPolicyError,
        ("model.safetensors", "do not fit", "dim_model=64"),
    ),
    "native save with an edited config.json": (
        _native_save_with_edited_config,
        SavedPolicyError,
        ("model.safetensors", "do not fit", "model.vae_encoder_pos_enc", "an edited config"),
    ),
    "saving under a file": (_save_under_a_file, SavedPolicyError, ("notes.txt", "is a file")),
    # --- round two: datasets and the DataModule
    "DataModule root without a dataset": (
        lambda w: w.fit(ACT(**TINY), datamodule=LeRobotDataModule(REPO_ID, root=w.tmp / "nowhere")),
        DatasetError,
        ("root=", "nowhere", "does not exist"),
    ),
    "from_dataset root without a dataset": (
        lambda w: ACT.from_dataset(REPO_ID, root=w.tmp, **TINY),
        DatasetError,
        ("root=", "no LeRobot dataset"),
    ),
    "test without held-out episodes": (
        lambda w: _held_out(w, "test"),
        DatasetError,
        ("test", "eval_split=", "val_episodes="),
    ),
    "validate without held-out episodes": (
        lambda w: _held_out(w, "validate"),
        DatasetError,
        ("validate", "eval_split=", "val_episodes="),
    ),
    "eval_split above one": (
        lambda w: LeRobotDataModule(REPO_ID, eval_split=1.5),
        ConfigError,
        ("eval_split", "[0, 1)", "1.5"),
    ),
}


@pytest.fixture
def world(tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path) -> World:
    return World(tiny_meta, tiny_dataset_root, tmp_path)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_early_and_clearly(case: str, world: World) -> None:
    action, error_type, words = CASES[case]
    with pytest.raises(error_type) as raised:
        action(world)
    assert isinstance(raised.value, GetiActionError), (
        f"{case}: {type(raised.value).__name__} is not a getiaction error"
    )
    message = str(raised.value)
    missing = [word for word in words if word not in message]
    assert not missing, f"{case}: {missing} not in: {message}"


def test_the_matrix_counts_its_cases() -> None:
    assert len(CASES) == 60 + 37  # + the block of config rules and names


# --- inference converts inputs exactly as training does ---------------------------------------------


def test_uint8_frames_and_float64_values_act_like_what_training_sees(world: World) -> None:
    policy = world.policy().eval()
    observation = world.observation()
    as_stored = {
        "observation.image": (observation["observation.image"] * 255).round().to(torch.uint8),
        "observation.state": observation["observation.state"].to(torch.float64),
    }
    as_trained = {
        "observation.image": as_stored["observation.image"].to(torch.float32)
        / 255.0,  # what lerobot_train does
        "observation.state": observation["observation.state"],
    }
    policy.reset()
    expected = policy.select_action(as_trained)
    policy.reset()
    assert torch.equal(policy.select_action(as_stored), expected)
