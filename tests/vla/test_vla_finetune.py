"""Fine-tuning VLA policies as ``lerobot-train --policy.path=BASE [--peft.r=4]`` does, tiny and offline.

The base is a random-weight smolvla or pi05 that LeRobot itself builds and saves (``make_policy``,
``save_pretrained`` of the policy and its processors) from the tiny assets in tests/vla/assets/. The native
side is lerobot_train's recipe (``finetune_natively`` in tests/test_finetune.py); the wrapper side is what
a user writes: ``SmolVLA.from_pretrained(BASE, peft=PeftConfig(r=4))`` and ``Trainer.fit`` with a
``LeRobotDataModule``. LoRA uses each policy's own default target modules (no ``target_modules``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from lerobot.configs.default import PeftConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.factory import make_policy, make_policy_config, make_pre_post_processors
from safetensors.torch import load_file
from test_equivalence import assert_acts_like_native, assert_same_weights, wrapper_class
from test_finetune import (
    assert_same_normaliser,
    finetune_natively,
    fit,
    fixed_batches,
    lerobot_dataset,
    normaliser_state,
)

from vla.assets.datasets import REPO_ID, make_dataset
from vla.assets.policies import POLICIES
from vla.conftest import VLACase
from vla.test_vla_equivalence import observations

pytestmark = pytest.mark.vla
pytest.importorskip("peft", reason="the PEFT cases need LeRobot's peft extra")

FINE_TUNED = ["smolvla", "pi05"]  # policies with default LoRA targets (pi0's are pi05's)
LORA = PeftConfig(r=4)  # no target_modules: the policy's own defaults
BASE_SEED = 1234  # not the seed both sides build with: a base that failed to load would not match it


def save_base(case: VLACase, directory: Path) -> Path:
    """A pretrained policy saved by LeRobot itself: ``make_policy`` and ``save_pretrained``."""
    config = make_policy_config(case.policy_type, **case.config_kwargs)
    torch.manual_seed(BASE_SEED)
    policy = make_policy(config, ds_meta=case.meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=case.meta.stats)
    for part in (policy, preprocessor, postprocessor):
        part.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def new_recordings(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The user's own recordings for a policy: its dataset's features, other frames and statistics."""
    roots: dict[str, Path] = {}

    def get(policy_type: str) -> Path:
        if policy_type not in roots:
            directory = tmp_path_factory.mktemp(f"new_{policy_type}") / "data"
            roots[policy_type] = make_dataset(POLICIES[policy_type].dataset, directory, seed=1)
        return roots[policy_type]

    return get


def base_weights(policy: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The policy's parameters but LoRA's, under the names the base's ``model.safetensors`` gives them."""
    return {
        name.removeprefix("base_model.model.").replace(".base_layer", ""): p.detach()
        for name, p in policy.named_parameters()
        if "lora_" not in name
    }


def assert_holds_the_saved_weights(policy: torch.nn.Module, base: Path) -> None:
    """Every base weight is the one saved in ``base``: it was loaded (pi05's ``from_pretrained`` only prints
    a warning where its state dict fails to load) and, under LoRA, left as it was."""
    saved = load_file(base / "model.safetensors")
    weights = base_weights(policy)
    assert weights and weights.keys() <= saved.keys()
    for name, weight in weights.items():
        assert torch.equal(weight, saved[name].to(weight.dtype)), name


@pytest.mark.parametrize("peft", [None, LORA], ids=["full", "lora"])
@pytest.mark.parametrize("vla_case", FINE_TUNED, indirect=True)
def test_from_pretrained_then_fit_equals_lerobot_train_finetune(
    vla_case: VLACase, peft: PeftConfig | None, new_recordings: Callable[[str], Path], tmp_path: Path
) -> None:
    base = save_base(vla_case, tmp_path / "base")
    root = new_recordings(vla_case.policy_type)
    dataset = lerobot_dataset(root, base, repo_id=REPO_ID)
    batches = fixed_batches(dataset)
    native_losses, native, native_preprocessor = finetune_natively(base, dataset, batches, peft=peft)

    torch.manual_seed(0)
    wrapped = wrapper_class(vla_case.policy_type).from_pretrained(base, peft=peft)
    assert wrapped.lerobot_policy is not None
    assert_holds_the_saved_weights(wrapped.lerobot_policy, base)
    losses = fit(wrapped, root, batches, tmp_path, repo_id=REPO_ID)

    assert losses == native_losses
    assert wrapped.preprocessor is not None
    assert_same_weights(native, wrapped.lerobot_policy)
    assert_same_normaliser(native_preprocessor, wrapped.preprocessor)
    # The new dataset's statistics, not the base's.
    new_mean = torch.as_tensor(dataset.meta.stats["observation.state"]["mean"], dtype=torch.float32)
    base_mean = torch.as_tensor(vla_case.meta.stats["observation.state"]["mean"], dtype=torch.float32)
    assert torch.equal(normaliser_state(wrapped.preprocessor)["observation.state.mean"], new_mean)
    assert not torch.equal(new_mean, base_mean)

    trained = {name: p for name, p in wrapped.lerobot_policy.named_parameters() if p.requires_grad}
    assert trained
    if peft is None:
        # The loaded weights trained: some differ from the saved ones now.
        saved = load_file(base / "model.safetensors")
        assert any(not torch.equal(p.detach(), saved[name]) for name, p in trained.items())
        return
    # Only the default targets' adapters train, they moved, and every base weight is the saved one.
    assert all("lora_" in name for name in trained)
    assert any(bool(p.detach().abs().sum()) for name, p in trained.items() if "lora_B" in name)
    assert_holds_the_saved_weights(wrapped.lerobot_policy, base)


@pytest.mark.parametrize("vla_case", FINE_TUNED, indirect=True)
def test_lora_save_loads_in_lerobot_and_back_with_the_same_actions(
    vla_case: VLACase, new_recordings: Callable[[str], Path], tmp_path: Path
) -> None:
    base = save_base(vla_case, tmp_path / "base")
    root = new_recordings(vla_case.policy_type)
    dataset = lerobot_dataset(root, base, repo_id=REPO_ID)
    wrapper = wrapper_class(vla_case.policy_type)
    wrapped = wrapper.from_pretrained(base, peft=LORA)
    fit(wrapped, root, fixed_batches(dataset), tmp_path, repo_id=REPO_ID)
    directory = wrapped.save_pretrained(tmp_path / "lora")
    assert (directory / "adapter_config.json").is_file() and not (directory / "model.safetensors").exists()

    # LeRobot's own loader (make_policy with use_peft=True), as lerobot-eval --policy.path loads it.
    config = PreTrainedConfig.from_pretrained(directory)
    config.pretrained_path = directory
    assert config.use_peft
    native: Any = make_policy(config, ds_meta=dataset.meta)
    preprocessor, postprocessor = make_pre_post_processors(config, pretrained_path=str(directory))
    frames = observations(VLACase(vla_case.policy_type, vla_case.config_kwargs, root, dataset.meta))
    assert_acts_like_native(native, preprocessor, postprocessor, wrapped, frames)
    assert_acts_like_native(native, preprocessor, postprocessor, wrapper.from_pretrained(directory), frames)
