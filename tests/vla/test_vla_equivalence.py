"""The 14 VLA-type policies, tiny and offline: wrappers against native LeRobot, exactly.

Every asset a policy loads (backbone, tokenizer, processor, checkpoint) is written at test time with
random weights (tests/vla/assets/); nothing comes from the Hugging Face hub. The tests are the ones
tests/test_equivalence.py runs for act: the same weights and actions as ``make_policy`` with its
processors, and three Lightning steps equal to ``lerobot_train.update_policy`` through accelerate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from lerobot.datasets import LeRobotDataset
from lerobot.datasets.factory import resolve_delta_timestamps
from lerobot.policies.factory import make_policy_config
from test_equivalence import (
    ACTION_STEPS,
    BATCH_SIZE,
    TRAIN_STEPS,
    assert_acts_like_native,
    assert_same_weights,
    build_native,
    build_wrapper,
    train_natively,
    train_with_lightning,
    wrapper_class,
)

from vla.assets.datasets import REPO_ID
from vla.assets.policies import DATASET_METADATA_CASES, POLICIES
from vla.conftest import VLACase

pytestmark = pytest.mark.vla

VLA_POLICIES = sorted(POLICIES)
# lingbot_va trains only with attn_mode="flex" (LingBotVAPolicy.training_loss_from_streams), and
# FlexAttention has no backward on CPU: its training is checked on CUDA, with these overrides.
CUDA_ONLY_TRAINING = {"lingbot_va": {"attn_mode": "flex", "device": "cuda"}}


def observations(case: VLACase) -> list[dict[str, Any]]:
    """Raw single-step observations, as a dataset (or an environment) gives them."""
    dataset = LeRobotDataset(REPO_ID, root=case.dataset_root)
    frames = [dataset[index] for index in range(ACTION_STEPS)]
    return [
        {k: v for k, v in frame.items() if k.startswith("observation.") or k == "task"} for frame in frames
    ]


def fixed_batches(case: VLACase) -> list[dict[str, Any]]:
    config = make_policy_config(case.policy_type, **case.config_kwargs)
    dataset = LeRobotDataset(
        REPO_ID, root=case.dataset_root, delta_timestamps=resolve_delta_timestamps(config, case.meta)
    )
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False)
    batches = iter(loader)
    return [next(batches) for _ in range(TRAIN_STEPS)]


def assert_same_actions(case: VLACase, wrapped: Any) -> None:
    """Same weights as make_policy, then select_action equal to native over several steps."""
    _, native, preprocessor, postprocessor = build_native(case.policy_type, case.meta, case.config_kwargs)
    assert_acts_like_native(native, preprocessor, postprocessor, wrapped, observations(case))


@pytest.mark.parametrize("vla_case", VLA_POLICIES, indirect=True)
def test_select_action_equals_native(vla_case: VLACase) -> None:
    assert_same_actions(vla_case, build_wrapper(vla_case.policy_type, vla_case.meta, vla_case.config_kwargs))


@pytest.mark.parametrize("vla_case", VLA_POLICIES, indirect=True)
def test_lightning_training_equals_lerobot_train(vla_case: VLACase) -> None:
    case = vla_case
    kwargs = case.config_kwargs
    if case.policy_type in CUDA_ONLY_TRAINING:
        if not torch.cuda.is_available():
            pytest.skip(f"{case.policy_type} trains with FlexAttention, which has no backward on CPU")
        kwargs = {**kwargs, **CUDA_ONLY_TRAINING[case.policy_type]}
    device = kwargs["device"]
    batches = fixed_batches(case)

    native_losses, native = train_natively(case.policy_type, case.meta, batches, kwargs, cpu=device == "cpu")
    lightning_losses, wrapped = train_with_lightning(
        case.policy_type, case.meta, batches, kwargs, accelerator=device
    )

    assert len(native_losses) == len(lightning_losses) == TRAIN_STEPS
    assert lightning_losses == native_losses
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)


@pytest.mark.parametrize("vla_case", sorted(DATASET_METADATA_CASES), indirect=True)
def test_wrapper_from_dataset_feature_specs_equals_native(vla_case: VLACase) -> None:
    """Datasets whose feature names or camera sizes the config reads, given as ``meta.features``.

    molmoact2 leaves "gripper" dimensions unnormalised (``config.dataset_feature_names``); fastwam
    declares each camera at its own resolution (``FastWAMConfig.set_dataset_feature_metadata``).
    """
    case = vla_case
    torch.manual_seed(0)
    wrapped = wrapper_class(case.policy_type)(
        input_features=case.meta.features,
        output_features=case.meta.features,
        stats=case.meta.stats,
        **case.config_kwargs,
    )
    assert_same_actions(case, wrapped)


def test_hub_cache_holds_only_what_the_fixtures_write(hub_cache: Path) -> None:
    """The temp hub cache is the one huggingface_hub and transformers resolve against, and nothing else is."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import LocalEntryNotFoundError
    from transformers.utils import cached_file

    from vla.assets.fake_hub import fake_snapshot

    snapshot = fake_snapshot(hub_cache, "org/written-by-a-fixture")
    (snapshot / "config.json").write_text("{}")
    assert Path(hf_hub_download("org/written-by-a-fixture", "config.json")) == snapshot / "config.json"
    assert Path(cached_file("org/written-by-a-fixture", "config.json")) == snapshot / "config.json"
    with pytest.raises(LocalEntryNotFoundError):  # offline, and not in this cache
        hf_hub_download("google/paligemma-3b-pt-224", "tokenizer.json")


@pytest.mark.parametrize("vla_case", ["smolvla"], indirect=True)
@pytest.mark.parametrize("num_expert_layers", [1, 2, 3])
def test_smolvla_layer_rule_refuses_what_lerobot_asserts(vla_case: VLACase, num_expert_layers: int) -> None:
    """The rule in _constraints against SmolVLA itself, on a 2-layer VLM: 1 and 2 build, 3 is refused.

    LeRobot asserts ``len(vlm layers) % num_expert_layers == 0`` only after loading the VLM; the wrapper
    refuses the same configs from the config alone, by name, before anything loads.
    """
    from getiaction.errors import ConfigError

    case = vla_case
    kwargs = {**case.config_kwargs, "num_expert_layers": num_expert_layers}
    divisible = kwargs["num_vlm_layers"] % num_expert_layers == 0
    if divisible:
        build_native(case.policy_type, case.meta, kwargs)
        assert build_wrapper(case.policy_type, case.meta, kwargs).lerobot_policy is not None
        return
    with pytest.raises(AssertionError, match="not multiple of num_expert_layers"):
        build_native(case.policy_type, case.meta, kwargs)
    with pytest.raises(
        ConfigError, match=r"num_vlm_layers \(2\) must be a multiple of num_expert_layers \(3\)"
    ):
        build_wrapper(case.policy_type, case.meta, kwargs)
