"""The 14 VLA-type policies, tiny and offline: wrappers against native LeRobot, exactly.

Every asset a policy loads (backbone, tokenizer, processor, checkpoint) is written at test time with
random weights (tests/vla/tiny_vla.py); nothing comes from the Hugging Face hub. Each test is the one
tests/test_equivalence.py runs for act: the same weights and actions as ``make_policy`` with its
processors, and three Lightning steps equal to ``lerobot_train.update_policy`` through accelerate.
"""

from __future__ import annotations

import copy
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
    assert_same_weights,
    build_native,
    build_wrapper,
    train_natively,
    train_with_lightning,
)

from vla.conftest import VLACase
from vla.tiny_vla import POLICIES, REPO_ID

pytestmark = pytest.mark.vla

VLA_POLICIES = sorted(POLICIES)
# No CPU backward for FlexAttention, which lingbot_va trains with.
CUDA_ONLY_TRAINING = {"lingbot_va": "FlexAttention has no backward on CPU; lingbot_va trains on CUDA only"}


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


@pytest.mark.parametrize("vla_case", VLA_POLICIES, indirect=True)
def test_select_action_equals_native(vla_case: VLACase) -> None:
    case = vla_case
    _, native, preprocessor, postprocessor = build_native(case.policy_type, case.meta, case.config_kwargs)
    wrapped = build_wrapper(case.policy_type, case.meta, case.config_kwargs)
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)

    native.eval()
    wrapped.eval()
    native.reset()
    wrapped.reset()
    for step, observation in enumerate(observations(case)):
        torch.manual_seed(100 + step)  # flow matching and diffusion noise: the same draws in both
        with torch.no_grad():
            expected = postprocessor(native.select_action(preprocessor(copy.deepcopy(observation))))
        torch.manual_seed(100 + step)
        actual = wrapped.select_action(copy.deepcopy(observation))
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        assert torch.equal(actual, expected), f"step {step}: max |diff| {(actual - expected).abs().max()}"


@pytest.mark.parametrize("vla_case", VLA_POLICIES, indirect=True)
def test_lightning_training_equals_lerobot_train(vla_case: VLACase) -> None:
    case = vla_case
    kwargs = case.config_kwargs
    device = "cpu"
    if case.policy_type in CUDA_ONLY_TRAINING:
        if not torch.cuda.is_available():
            pytest.skip(CUDA_ONLY_TRAINING[case.policy_type])
        device = "cuda"
        kwargs = {**kwargs, "device": device}
    batches = fixed_batches(case)

    native_losses, native = train_natively(case.policy_type, case.meta, batches, kwargs, cpu=device == "cpu")
    lightning_losses, wrapped = train_with_lightning(
        case.policy_type, case.meta, batches, kwargs, accelerator=device
    )

    assert len(native_losses) == len(lightning_losses) == TRAIN_STEPS
    assert lightning_losses == native_losses
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)
