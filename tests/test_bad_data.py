"""Bad data, statistics, saved files and datasets, as a new user meets them: input -> error type and the
words it must contain.

Every case once crashed deep inside LeRobot or torch, or was silently accepted and gave wrong results
(or is a neighbour of one that did). Each must fail where the facts first meet, with an error of
getiaction's family naming the feature, key or file, what was expected and what was given.
Parameters and names are in ``test_bad_input.py``.
"""

from __future__ import annotations

import math

import pytest
import torch
from bad_input_world import (
    TINY,
    Case,
    World,
    assert_fails_clearly,
    batch_with,
    changed_processor,
    declared,
    diffusion,
    fit_with_loader,
    fit_without_stats,
    held_out,
    mixed_pretrained,
    native_save_with_edited_config,
    observation_of_batch_sizes,
    observation_with,
    save_over_foreign_files,
    save_under_a_file,
    stats_with,
    with_min_max_state,
    without,
)
from tiny import REPO_ID

from getiaction.data.lerobot import LeRobotDataModule
from getiaction.errors import (
    BatchError,
    ConfigError,
    ConfigTypeError,
    DatasetError,
    FeatureError,
    SavedPolicyError,
    StatsError,
)
from getiaction.policies.lerobot import ACT

CASES: dict[str, Case] = {
    # --- features against the dataset
    "state (3,) against data (2,)": (
        lambda w: w.fit(
            ACT(input_features=declared(w, "observation.state", (3,)), output_features=w.outputs, **TINY),
            datamodule=w.datamodule(),
        ),
        FeatureError,
        ("observation.state", "(3,)", "(2,)"),
    ),
    "camera channels-last against channels-first data": (
        lambda w: ACT.from_dataset(
            w.meta,
            input_features=declared(w, "observation.image", (64, 64, 3)),
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
        lambda w: w.policy(stats=stats_with(w, "observation.state", "mean", [math.nan, 0.0])),
        StatsError,
        ("observation.state", "mean", "NaN"),
    ),
    "statistics without the action": (
        lambda w: w.policy(stats=without(w, "action")),
        StatsError,
        ("action", "MEAN_STD", "IDENTITY"),
    ),
    "statistics of the wrong shape": (
        lambda w: w.policy(stats=stats_with(w, "action", "std", [1.0] * 5)),
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
        fit_without_stats,
        StatsError,
        ("normalised", "stats=dataset.meta.stats", "IDENTITY"),
    ),
    # --- batches and observations
    "batch without action": (
        lambda w: fit_with_loader(w, batch_with(w, "action", None)),
        BatchError,
        ("batch has no 'action'",),
    ),
    "state (B, 1) for a (2,) feature": (
        lambda w: w.policy().select_action(observation_with(w, "observation.state", torch.zeros(1, 1))),
        BatchError,
        ("observation.state", "(1, 1)", "(2,)"),
    ),
    "observation without its state": (
        lambda w: w.policy().select_action(observation_with(w, "observation.state", None)),
        BatchError,
        ("observation has no 'observation.state'",),
    ),
    "a list instead of a tensor": (
        lambda w: w.policy().select_action(observation_with(w, "observation.state", [0.1, 0.2])),
        BatchError,
        ("observation.state", "torch.Tensor", "list"),
    ),
    "channels-last frame": (
        lambda w: w.policy().select_action(
            observation_with(w, "observation.image", torch.zeros(1, 64, 64, 3))
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
        changed_processor,
        SavedPolicyError,
        ("policy_preprocessor", "changed since"),
    ),
    "provenance disagreeing with config.json": (
        mixed_pretrained,
        SavedPolicyError,
        ("getiaction.json", "'act'", "'diffusion'"),
    ),
    "saving over someone's files": (
        save_over_foreign_files,
        SavedPolicyError,
        ("my_project", "notes.txt", "new or empty"),
    ),
    # --- round two: batches and observations
    "observation of batch size 0": (
        lambda w: w.policy().select_action(observation_of_batch_sizes(w, 0, 0)),
        BatchError,
        ("batch size 0",),
    ),
    "training batch of size 0": (
        lambda w: fit_with_loader(w, {key: value[:0] for key, value in w.batch().items()}),
        BatchError,
        ("batch size 0",),
    ),
    "state batch of 2, image batch of 1": (
        lambda w: w.policy().select_action(observation_of_batch_sizes(w, 2, 1)),
        BatchError,
        ("batch size", "'observation.state': 2", "'observation.image': 1"),
    ),
    "training batch without action_is_pad": (
        lambda w: fit_with_loader(w, batch_with(w, "action_is_pad", None)),
        BatchError,
        ("action_is_pad", "delta_timestamps"),
    ),
    "training action without its chunk": (
        lambda w: fit_with_loader(w, batch_with(w, "action", w.batch()["action"][:, 0])),
        BatchError,
        ("'action'", "4 time steps", "(batch, 4, 2)"),
    ),
    "predict_action_chunk of a raw observation without its history": (
        lambda w: diffusion(w).predict_action_chunk(w.observation()),
        BatchError,
        ("observation.state", "2 time steps", "(batch, 2, 2)"),
    ),
    "int32 camera frames": (
        lambda w: w.policy().select_action(
            observation_with(w, "observation.image", torch.zeros(1, 3, 64, 64, dtype=torch.int32))
        ),
        BatchError,
        ("observation.image", "torch.int32", "uint8"),
    ),
    "NaN in an observation": (
        lambda w: w.policy().select_action(
            observation_with(w, "observation.state", torch.tensor([[math.nan, 0.0]]))
        ),
        BatchError,
        ("observation.state", "NaN"),
    ),
    "NaN in a training batch": (
        lambda w: fit_with_loader(
            w, batch_with(w, "observation.state", torch.full_like(w.batch()["observation.state"], math.nan))
        ),
        BatchError,
        ("training loss is nan", "step 0", "'observation.state'"),
    ),
    # --- round two: statistics against the data
    "std of 0 where the data varies": (
        lambda w: fit_with_loader(w, w.batch(), stats=stats_with(w, "action", "std", [0.0, 0.0])),
        StatsError,
        ("'action'", "std is 0", "varies"),
    ),
    "min equals max where the data varies": (
        with_min_max_state,
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
        native_save_with_edited_config,
        SavedPolicyError,
        ("model.safetensors", "do not fit", "model.vae_encoder_pos_enc", "an edited config"),
    ),
    "saving under a file": (save_under_a_file, SavedPolicyError, ("notes.txt", "is a file")),
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
        lambda w: held_out(w, "test"),
        DatasetError,
        ("test", "eval_split=", "val_episodes="),
    ),
    "validate without held-out episodes": (
        lambda w: held_out(w, "validate"),
        DatasetError,
        ("validate", "eval_split=", "val_episodes="),
    ),
    "eval_split above one": (
        lambda w: LeRobotDataModule(REPO_ID, eval_split=1.5),
        ConfigError,
        ("eval_split", "[0, 1)", "1.5"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_early_and_clearly(case: str, world: World) -> None:
    assert_fails_clearly(case, CASES[case], world)


def test_the_table_counts_its_cases() -> None:
    assert len(CASES) == 43


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
