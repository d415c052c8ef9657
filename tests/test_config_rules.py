"""The config rules and names of issue 18, from the side of valid input: what they accept, and their tables.

``test_bad_input.py`` holds what they refuse. Here: every name in a table is a field of a registered
policy (so a LeRobot rename cannot silently switch a rule off), every policy's defaults pass every rule,
and the inputs LeRobot itself takes (enum keys, tensors in a config, the original design's call forms)
work as LeRobot means them.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, NormalizationMode
from lerobot.policies.act.configuration_act import ACTConfig
from tiny import TINY_CONFIGS

import getiaction.policies.lerobot as wrappers
from getiaction.errors import ConfigError, ConfigTypeError
from getiaction.policies.lerobot import (
    ACT,
    TDMPC,
    XVLA,
    Evo1,
    GaussianActor,
    LeRobotPolicy,
    MultiTaskDiT,
    SmolVLA,
)
from getiaction.policies.lerobot import _config as config_tables
from getiaction.policies.lerobot._config import check_value_ranges, decode_config, plain_fields
from getiaction.policies.lerobot._constraints import RULES, check_constraints
from getiaction.policies.lerobot._legacy_names import RENAMED_PARAMETERS, RENAMED_POLICY_TYPES
from getiaction.policies.lerobot._normalization_mapping import dropped_keys

REGISTERED: dict[str, type[PreTrainedConfig]] = PreTrainedConfig.get_known_choices()  # type: ignore[assignment]
NEEDS_HUB_TO_CONSTRUCT = {"eo1"}  # EO1Config's default reads its VLM's config from the hub
TABLES = (
    "AT_LEAST_ONE",
    "NON_NEGATIVE",
    "PROBABILITIES",
    "FRACTIONS",
    "DISCOUNTS",
    "BETAS",
    "SIZE_TUPLES",
    "NON_EMPTY",
)
TINY = TINY_CONFIGS["act"]
ENUM_MAPPING = {
    FeatureType.VISUAL: NormalizationMode.MEAN_STD,
    FeatureType.STATE: NormalizationMode.MIN_MAX,
    FeatureType.ACTION: NormalizationMode.MIN_MAX,
}


def _fields(config_class: type[PreTrainedConfig]) -> set[str]:
    return {field.name for field in dataclasses.fields(config_class)}


# --- the tables stay true to LeRobot ------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_every_range_table_name_is_a_field_of_a_registered_policy(table: str) -> None:
    every_field = set().union(*(_fields(config_class) for config_class in REGISTERED.values()))
    assert sorted(getattr(config_tables, table) - every_field) == []


def test_every_rule_reads_fields_of_its_own_policy() -> None:
    for policy_type, rules in RULES.items():
        assert policy_type in REGISTERED, policy_type
        for rule in rules:
            assert set(rule.reads) <= _fields(REGISTERED[policy_type]), (policy_type, rule.reads)


def test_renamed_names_point_at_names_that_exist() -> None:
    every_field = set().union(*(_fields(config_class) for config_class in REGISTERED.values()))
    assert set(RENAMED_PARAMETERS.values()) <= every_field | {"stats"}
    assert not set(RENAMED_POLICY_TYPES) & set(REGISTERED)  # a hint never hides a registered policy


@pytest.mark.parametrize("policy_type", sorted(set(REGISTERED) - NEEDS_HUB_TO_CONSTRUCT))
def test_every_policys_defaults_pass_every_rule(policy_type: str) -> None:
    config_class = REGISTERED[policy_type]
    config = config_class()
    check_constraints(config, subject=policy_type)
    check_value_ranges(config, subject=policy_type)
    mapping = {"normalization_mapping": config.normalization_mapping}  # type: ignore[attr-defined]
    assert dropped_keys(config_class, mapping, subject=policy_type) == []


# The rules of the other built-in policies (ACT's, Diffusion's, VQBeT's and TDMPC's are in test_bad_input.py).
OTHER_RULES: list[tuple[type[Any], dict[str, Any], tuple[str, ...]]] = [
    (Evo1, {"embed_dim": 32, "num_heads": 3}, ("embed_dim (32)", "num_heads (3)")),
    (Evo1, {"embed_dim": 33, "num_heads": 3}, ("embed_dim must be even", "33")),
    (SmolVLA, {"num_vlm_layers": 16, "num_expert_layers": 3}, ("num_vlm_layers (16)", "15 or 18")),
    (XVLA, {"hidden_size": 100, "num_heads": 16}, ("hidden_size (100)", "num_heads (16)", "96 or 112")),
    (MultiTaskDiT, {"hidden_dim": 24, "num_heads": 8}, ("use_rope", "24 / 8 = 3", "even")),
    (MultiTaskDiT, {"timestep_embed_dim": 2}, ("timestep_embed_dim", "even and at least 4")),
]


@pytest.mark.parametrize(("wrapper", "parameters", "words"), OTHER_RULES)
def test_the_other_policies_rules_name_their_fields(
    wrapper: type[Any], parameters: dict[str, Any], words: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as raised:
        wrapper(**parameters)
    assert all(word in str(raised.value) for word in words), str(raised.value)


def test_rules_on_features_wait_for_them(tiny_meta: Any) -> None:
    # ACT's camera embedding needs dim_model % 4 == 0 only with cameras: unknown at construction, refused
    # when the dataset's camera arrives, before anything is built.
    unbuilt = ACT(**{**TINY, "dim_model": 34})
    assert unbuilt.lerobot_policy is None
    with pytest.raises(ConfigError, match=r"multiple of 4 with cameras \(observation.image\)"):
        ACT.from_dataset(tiny_meta, **{**TINY, "dim_model": 34})


# --- valid input LeRobot takes -------------------------------------------------------------------------


def test_enum_keys_and_values_mean_what_lerobot_means(tiny_meta: Any) -> None:
    plain = {key.value: mode.value for key, mode in ENUM_MAPPING.items()}
    assert ACT(normalization_mapping=ENUM_MAPPING).config == ACT(normalization_mapping=plain).config  # type: ignore[arg-type]
    policy = ACT.from_dataset(tiny_meta, normalization_mapping=ENUM_MAPPING, **TINY)  # type: ignore[arg-type]
    assert policy.hparams["normalization_mapping"] == plain
    assert policy.config.normalization_mapping["STATE"] is NormalizationMode.MIN_MAX
    # TDMPCConfig reads normalization_mapping["ACTION"] itself: enum keys reach it as LeRobot's tests pass them.
    tdmpc = TDMPC(normalization_mapping={**ENUM_MAPPING, FeatureType.ENV: NormalizationMode.IDENTITY})  # type: ignore[dict-item]
    assert tdmpc.config.normalization_mapping["ACTION"] is NormalizationMode.MIN_MAX


def test_tensors_and_arrays_in_a_config_field_are_taken_as_values() -> None:
    stats = {"action": {"min": torch.zeros(3), "max": np.ones(3, dtype=np.float32)}}
    policy = GaussianActor(dataset_stats=stats)  # type: ignore[arg-type]
    assert policy.config.dataset_stats == {"action": {"min": [0.0, 0.0, 0.0], "max": [1.0, 1.0, 1.0]}}
    json.dumps(plain_fields(policy.config))  # hyperparameters stay plain JSON


def test_a_users_mapping_may_leave_out_feature_types_the_policy_has_none_of() -> None:
    # No camera, so no VISUAL entry is needed (tests/test_evaluation.py's environment-state ACT).
    state_and_env = {
        "observation.state": {"type": "STATE", "shape": [2]},
        "observation.environment_state": {"type": "ENV", "shape": [3]},
    }
    ACT(
        input_features=state_and_env,  # type: ignore[arg-type]
        output_features={"action": {"type": "ACTION", "shape": [2]}},  # type: ignore[dict-item]
        normalization_mapping={"STATE": "MIN_MAX", "ENV": "MIN_MAX", "ACTION": "MIN_MAX"},  # type: ignore[dict-item]
        **{**TINY, "use_vae": False},
    )


def test_a_saved_config_loads_with_the_mapping_it_was_trained_with() -> None:
    # LeRobot's saves may leave a key out on purpose; only a user's parameters must keep the default's keys.
    config = decode_config(
        ACTConfig, {"normalization_mapping": {"VISUAL": "MEAN_STD", "STATE": "MEAN_STD"}}, subject="x"
    )
    assert "ACTION" not in config.normalization_mapping


def test_gaussian_actors_own_dataset_stats_field_is_no_legacy_name() -> None:
    assert GaussianActor(dataset_stats=None).config.dataset_stats is None


# --- the original design's call forms ------------------------------------------------------------------


def test_universal_from_dataset_takes_the_policy_name_first(tiny_meta: Any) -> None:
    first = LeRobotPolicy.from_dataset("act", tiny_meta, **TINY)
    keyword = LeRobotPolicy.from_dataset(tiny_meta, policy_name="act", **TINY)
    assert first.config == keyword.config and first.lerobot_policy is not None
    assert first.policy_name == "act"
    with pytest.raises(ConfigTypeError, match="policy name twice"):
        LeRobotPolicy.from_dataset("act", tiny_meta, policy_name="act")  # type: ignore[call-overload]


def test_policy_name_on_every_class() -> None:
    for policy_type, class_name in wrappers.POLICY_CLASSES.items():
        wrapper = getattr(wrappers, class_name)
        assert isinstance(inspect.getattr_static(wrapper, "policy_name"), property), class_name
        assert wrapper.config_class is REGISTERED[policy_type]
    policy = ACT(**TINY)
    assert policy.policy_name == policy.policy_type == "act"


def test_keyword_checks_leave_copies_and_misspellings_as_they_were(tmp_path: Path) -> None:
    policy = ACT(**TINY)
    assert copy.deepcopy(policy).config == policy.config  # __new__ without keywords
    with pytest.raises(ConfigTypeError, match="Did you mean: dim_model"):
        ACT(dim_modle=3)  # type: ignore[call-arg]
    with pytest.raises(ConfigTypeError, match=r"one policy already: drop policy_name"):
        ACT(policy_name="act")  # type: ignore[call-arg]
    with pytest.raises(ConfigTypeError, match=r"ACT\(\*\*policy_config\)"):
        ACT(policy_config={"dim_model": 64})  # type: ignore[call-arg]
