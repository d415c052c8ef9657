"""Bad parameters, names and declared features, as a new user gives them: input -> error type and the words
it must contain.

Every case once crashed deep inside LeRobot or torch, was silently accepted and gave wrong results,
or came from the original design's names (or is a neighbour of one that did). Each must fail at
construction, before anything is built, with an error of getiaction's family naming the field, what
was expected and what was given. Data, statistics and files are in ``test_bad_data.py``.
"""

from __future__ import annotations

import json
import math

import pytest
from bad_input_world import ACT_MAPPING, TINY, Case, World, assert_fails_clearly
from lerobot.policies.act.configuration_act import ACTConfig
from tiny import TINY_CONFIGS

from getiaction.cli import resolve_universal_specs
from getiaction.errors import ConfigError, ConfigTypeError, FeatureError
from getiaction.policies.lerobot import ACT, TDMPC, Diffusion, LeRobotPolicy, MultiTaskDiT, VQBeT

CASES: dict[str, Case] = {
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
    "stats given to from_dataset, by name": (
        lambda w: LeRobotPolicy.from_dataset(w.meta, policy_name="act", stats=w.stats, **TINY),
        ConfigTypeError,
        ("'stats'", "come from the dataset", "assign `.stats`"),
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
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_fails_early_and_clearly(case: str, world: World) -> None:
    assert_fails_clearly(case, CASES[case], world)


def test_the_table_counts_its_cases() -> None:
    assert len(CASES) == 55
