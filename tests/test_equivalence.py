"""The wrappers against native LeRobot: same weights, same actions, same training, exactly.

Native training runs LeRobot's own ``lerobot_train.update_policy`` (through accelerate, as
``lerobot-train`` does); the wrapper trains through ``lightning.Trainer``. Both start from the same
seed and see the same fixed batches; losses and final weights must match with zero difference.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch
from lerobot.datasets.factory import resolve_delta_timestamps
from lerobot.policies.factory import (
    make_policy,
    make_policy_config,
    make_pre_post_processors,
)
from lerobot.policies.pretrained import PreTrainedPolicy
from lerobot_train_recipe import lerobot_train_mixed_precision
from tiny import REPO_ID, TINY_CONFIGS

import getiaction.policies.lerobot as wrappers
from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.policies.lerobot import LeRobotPolicy, LeRobotPolicyModule

TRAIN_STEPS = 3
BATCH_SIZE = 4
ACTION_STEPS = 6  # crosses every tiny policy's action-queue refill at least once


def wrapper_class(policy_type: str) -> type[LeRobotPolicyModule[Any]]:
    return getattr(wrappers, wrappers.POLICY_CLASSES[policy_type])  # type: ignore[no-any-return]


def build_native(
    policy_type: str, meta: LeRobotDatasetMetadata, config_kwargs: dict[str, Any] | None = None
) -> tuple[Any, PreTrainedPolicy, Any, Any]:
    config = make_policy_config(policy_type, **_config_kwargs(policy_type, config_kwargs))
    torch.manual_seed(0)
    policy = make_policy(config, ds_meta=meta)
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=meta.stats)
    return config, policy, preprocessor, postprocessor


def build_wrapper(
    policy_type: str, meta: LeRobotDatasetMetadata, config_kwargs: dict[str, Any] | None = None
) -> LeRobotPolicyModule[Any]:
    # As the seed's examples: one feature mapping for both directions, stats from the dataset.
    features = dataset_to_policy_features(meta.features)
    torch.manual_seed(0)
    return wrapper_class(policy_type)(
        input_features=features,
        output_features=features,
        stats=meta.stats,
        **_config_kwargs(policy_type, config_kwargs),
    )


def _config_kwargs(policy_type: str, config_kwargs: dict[str, Any] | None) -> dict[str, Any]:
    # The tiny sizes here by default; the VLA tests (tests/vla) pass their own, built at test time.
    return TINY_CONFIGS[policy_type] if config_kwargs is None else config_kwargs


def observations(root: Path) -> list[dict[str, Any]]:
    """Raw single-step observations, as a dataset (or an environment) gives them."""
    dataset = LeRobotDataset(REPO_ID, root=root)
    keys = ("observation.state", "observation.image", "task")
    return [{key: dataset[index][key] for key in keys} for index in range(ACTION_STEPS)]


def fixed_batches(config: Any, meta: LeRobotDatasetMetadata, root: Path) -> list[dict[str, Any]]:
    dataset = LeRobotDataset(REPO_ID, root=root, delta_timestamps=resolve_delta_timestamps(config, meta))
    loader = torch.utils.data.DataLoader(dataset, batch_size=BATCH_SIZE, shuffle=False)
    batches: Iterator[dict[str, Any]] = iter(loader)
    return [next(batches) for _ in range(TRAIN_STEPS)]


def assert_same_weights(native: torch.nn.Module, wrapped: torch.nn.Module) -> None:
    native_state, wrapped_state = native.state_dict(), wrapped.state_dict()
    assert native_state.keys() == wrapped_state.keys()
    for key, value in native_state.items():
        assert torch.equal(value, wrapped_state[key]), (
            f"{key}: max |diff| {(value - wrapped_state[key]).abs().max()}"
        )


def assert_acts_like_native(
    native: PreTrainedPolicy,
    preprocessor: Any,
    postprocessor: Any,
    wrapped: LeRobotPolicyModule[Any],
    steps: list[dict[str, Any]],
) -> None:
    """Same weights, then ``select_action`` equal to native's (pre -> select -> post) at every step."""
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)

    native.eval()
    wrapped.eval()
    native.reset()
    wrapped.reset()
    for step, observation in enumerate(steps):
        torch.manual_seed(100 + step)  # stochastic policies (diffusion noise, sampling) see the same draws
        with torch.no_grad():
            expected = postprocessor(native.select_action(preprocessor(copy.deepcopy(observation))))
        torch.manual_seed(100 + step)
        actual = wrapped.select_action(copy.deepcopy(observation))
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        assert torch.equal(actual, expected), f"step {step}: max |diff| {(actual - expected).abs().max()}"


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_select_action_equals_native(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    _, native, preprocessor, postprocessor = build_native(policy_type, tiny_meta)
    wrapped = build_wrapper(policy_type, tiny_meta)
    assert_acts_like_native(native, preprocessor, postprocessor, wrapped, observations(tiny_dataset_root))


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_same_seed_same_actions(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    observation = observations(tiny_dataset_root)[0]
    runs = []
    for _ in range(2):
        wrapped = build_wrapper(policy_type, tiny_meta).eval()
        torch.manual_seed(7)
        runs.append(wrapped.select_action(copy.deepcopy(observation)))
    assert torch.equal(runs[0], runs[1])


def step_seed(step: int) -> int:
    # Seeded per step in both loops: dropout, VAE sampling and diffusion noise draw the same numbers,
    # whatever else (a DataLoader iterator, say) consumed random numbers before the step.
    return 1000 + step


class _RecordLosses(lightning.Callback):
    def __init__(self) -> None:
        self.losses: list[float] = []

    def on_train_batch_start(self, trainer: Any, module: Any, batch: Any, batch_idx: int) -> None:
        torch.manual_seed(step_seed(batch_idx))

    def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
        self.losses.append(float(outputs["loss"]))


def train_natively(
    policy_type: str,
    meta: LeRobotDatasetMetadata,
    batches: list[dict[str, Any]],
    config_kwargs: dict[str, Any] | None = None,
    cpu: bool = True,
) -> tuple[list[float], PreTrainedPolicy]:
    """LeRobot's own update step, prepared by accelerate exactly as ``lerobot_train.train`` does."""
    config, policy, preprocessor, _ = build_native(policy_type, meta, config_kwargs)
    return update_natively(config, policy, preprocessor, meta, batches, cpu=cpu)


def update_natively(
    config: Any,
    policy: PreTrainedPolicy,
    preprocessor: Any,
    meta: LeRobotDatasetMetadata,
    batches: list[dict[str, Any]],
    cpu: bool = True,
) -> tuple[list[float], PreTrainedPolicy]:
    """``lerobot_train``'s optimizer, scheduler and ``update_policy`` steps for a policy it has made."""
    from accelerate import Accelerator
    from accelerate.state import AcceleratorState
    from lerobot.scripts.lerobot_train import update_policy
    from lerobot.utils.logging_utils import AverageMeter, MetricsTracker

    optimizer_preset, scheduler_preset = config.get_optimizer_preset(), config.get_scheduler_preset()
    optimizer = optimizer_preset.build(policy.get_optim_params())
    scheduler = scheduler_preset.build(optimizer, TRAIN_STEPS) if scheduler_preset is not None else None
    # Accelerate keeps one process-wide state; lerobot-train creates it once per process, as here.
    AcceleratorState._reset_state(reset_partial_state=True)
    accelerator = Accelerator(
        step_scheduler_with_optimizer=False, mixed_precision=lerobot_train_mixed_precision(config), cpu=cpu
    )
    policy, optimizer, scheduler = accelerator.prepare(policy, optimizer, scheduler)
    meters = {name: AverageMeter(name) for name in ("loss", "grad_norm", "lr", "update_s", "dataloading_s")}
    tracker = MetricsTracker(
        BATCH_SIZE, meta.total_frames, meta.total_episodes, meters, accelerator=accelerator
    )
    losses = []
    policy.train()
    for step, batch in enumerate(batches):
        torch.manual_seed(step_seed(step))
        tracker, _ = update_policy(
            tracker,
            policy,
            preprocessor(copy.deepcopy(batch)),
            optimizer,
            optimizer_preset.grad_clip_norm,
            accelerator=accelerator,
            lr_scheduler=scheduler,
        )
        losses.append(tracker.loss.val)
    return losses, accelerator.unwrap_model(policy)


def train_with_lightning(
    policy_type: str,
    meta: LeRobotDatasetMetadata,
    batches: list[dict[str, Any]],
    config_kwargs: dict[str, Any] | None = None,
    accelerator: str = "cpu",
) -> tuple[list[float], LeRobotPolicyModule[Any]]:
    module = build_wrapper(policy_type, meta, config_kwargs)
    recorder = _RecordLosses()
    trainer = lightning.Trainer(
        max_steps=TRAIN_STEPS,
        accelerator=accelerator,
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[recorder],
    )
    loader = torch.utils.data.DataLoader(copy.deepcopy(batches), batch_size=None, collate_fn=_identity)
    trainer.fit(module, train_dataloaders=loader)
    return recorder.losses, module


def _identity(batch: dict[str, Any]) -> dict[str, Any]:
    return batch


@pytest.mark.parametrize("policy_type", sorted(TINY_CONFIGS))
def test_lightning_training_equals_lerobot_train(
    policy_type: str, tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    config = make_policy_config(policy_type, **TINY_CONFIGS[policy_type])
    batches = fixed_batches(config, tiny_meta, tiny_dataset_root)

    native_losses, native = train_natively(policy_type, tiny_meta, batches)
    lightning_losses, wrapped = train_with_lightning(policy_type, tiny_meta, batches)

    assert len(native_losses) == len(lightning_losses) == TRAIN_STEPS
    assert lightning_losses == native_losses
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)


def test_universal_wrapper_equals_explicit_class(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    explicit = build_wrapper("act", tiny_meta)
    torch.manual_seed(0)
    universal = LeRobotPolicy(
        "act", input_features=features, output_features=features, stats=tiny_meta.stats, **TINY_CONFIGS["act"]
    )
    assert universal.config == explicit.config
    assert universal.lerobot_policy is not None and explicit.lerobot_policy is not None
    assert_same_weights(explicit.lerobot_policy, universal.lerobot_policy)
    observation = observations(tiny_dataset_root)[0]
    universal.eval()
    explicit.eval()
    assert torch.equal(universal.select_action(dict(observation)), explicit.select_action(dict(observation)))


GAUSSIAN_ACTOR = {
    "latent_dim": 8,
    "state_encoder_hidden_dim": 8,
    "image_encoder_hidden_dim": 4,
    "image_embedding_pooling_dim": 2,
}


def test_gaussian_actor_inference_equals_native(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    from lerobot.policies.gaussian_actor.modeling_gaussian_actor import GaussianActorPolicy

    # make_policy itself cannot build this policy (it passes dataset_stats, which the actor does not
    # take), so build it the way make_policy would otherwise: features from the dataset, then the class.
    features = dataset_to_policy_features(tiny_meta.features)
    config = make_policy_config("gaussian_actor", **GAUSSIAN_ACTOR)
    config.output_features = {k: f for k, f in features.items() if k == "action"}
    config.input_features = {k: f for k, f in features.items() if k != "action"}
    torch.manual_seed(0)
    native = GaussianActorPolicy(config=config).eval()
    preprocessor, postprocessor = make_pre_post_processors(config, dataset_stats=tiny_meta.stats)

    torch.manual_seed(0)
    wrapped = wrappers.GaussianActor(
        input_features=features, output_features=features, stats=tiny_meta.stats, **GAUSSIAN_ACTOR
    )
    wrapped.eval()
    assert wrapped.lerobot_policy is not None
    assert_same_weights(native, wrapped.lerobot_policy)
    for step, observation in enumerate(observations(tiny_dataset_root)):
        torch.manual_seed(step)  # the actor samples from its Gaussian
        with torch.no_grad():
            expected = postprocessor(native.select_action(preprocessor(copy.deepcopy(observation))))
        torch.manual_seed(step)
        assert torch.equal(wrapped.select_action(copy.deepcopy(observation)), expected)


def test_gaussian_actor_refuses_to_train_before_any_step(tiny_meta: LeRobotDatasetMetadata) -> None:
    features = dataset_to_policy_features(tiny_meta.features)
    wrapped = wrappers.GaussianActor(
        input_features=features, output_features=features, stats=tiny_meta.stats, **GAUSSIAN_ACTOR
    )
    before = copy.deepcopy(wrapped.state_dict())
    trainer = lightning.Trainer(
        max_steps=1, logger=False, enable_checkpointing=False, enable_progress_bar=False
    )
    loader = torch.utils.data.DataLoader(
        [{"observation.state": torch.zeros(1, 2)}], batch_size=None, collate_fn=_identity
    )
    with pytest.raises(NotImplementedError, match="several optimizers"):
        trainer.fit(wrapped, train_dataloaders=loader)
    after = wrapped.state_dict()
    assert all(torch.equal(before[key], after[key]) for key in before)


def test_every_policy_is_model_tested() -> None:
    # act, diffusion, tdmpc, vqbet and gaussian_actor here; the 14 VLA-type policies in tests/vla
    # (`nox -s vla`), with tiny assets written at test time.
    from vla.assets.policies import POLICIES as VLA_POLICIES

    tested = {*TINY_CONFIGS, "gaussian_actor"}
    assert tested.isdisjoint(VLA_POLICIES)
    assert tested | set(VLA_POLICIES) == set(wrappers.POLICY_CLASSES)
