"""lerobot_train's own recipe for a fine-tune, in LeRobot's terms only (no Lightning, no getiaction).

What ``lerobot-train --policy.path=BASE [--peft.*] [--rename_map=...]`` does before its first update:
the config read from the base directory, ``make_policy(cfg, ds_meta, rename_map)``,
``wrap_with_peft(peft_cli_overrides=asdict(peft))``, ``make_pre_post_processors`` with the overrides it
passes, and the mixed precision it gives accelerate. The fine-tune tests (tests/test_finetune.py,
tests/vla/test_vla_finetune.py) and the bench's native side (tests/bench/lora_finetune.py, whose memory
is measured without Lightning loaded) build from here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from lerobot.configs.default import PeftConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.policies.factory import make_policy, make_pre_post_processors
from lerobot.processor.rename_processor import rename_stats  # exported by lerobot.processor from 0.6 only


def finetune_policy(
    base: Path,
    meta: Any,  # LeRobotDatasetMetadata
    *,
    device: str = "cpu",
    rename_map: dict[str, str] | None = None,
    peft: PeftConfig | None = None,
) -> tuple[PreTrainedConfig, Any, Any]:
    """lerobot_train's fine-tune of ``base`` on a dataset's ``meta``: the config, the policy (wrapped with
    PEFT adapters when ``peft`` is given) and its preprocessor, on ``device``."""
    config = PreTrainedConfig.from_pretrained(base)
    config.pretrained_path = base  # what --policy.path sets
    config.device = device
    policy = make_policy(cfg=config, ds_meta=meta, rename_map=rename_map or {})
    if peft is not None:
        policy = policy.wrap_with_peft(peft_cli_overrides=dataclasses.asdict(peft))
    stats = meta.stats
    if rename_map:
        # lerobot_train 0.6.1 passes the dataset's statistics un-renamed, so renamed features would train
        # unnormalised (LeRobot #3425); getiaction renames them, as LeRobot's own rollout does.
        stats = rename_stats(stats, rename_map)
    features = {**policy.config.input_features, **policy.config.output_features}
    preprocessor, _ = make_pre_post_processors(
        policy_cfg=config,
        pretrained_path=base,
        pretrained_revision=None,
        dataset_stats=stats,
        preprocessor_overrides={
            "device_processor": {"device": torch.device(device).type},
            "normalizer_processor": {
                "features": features,
                "norm_map": policy.config.normalization_mapping,
                "stats": stats,
            },
            "rename_observations_processor": {"rename_map": rename_map or {}},
        },
        postprocessor_overrides={
            "unnormalizer_processor": {
                "features": policy.config.output_features,
                "norm_map": policy.config.normalization_mapping,
                "stats": stats,
            }
        },
    )
    return config, policy, preprocessor


def lerobot_train_mixed_precision(config: Any) -> str | None:
    """The ``mixed_precision`` ``lerobot_train.train`` gives accelerate for this policy config.

    Copied from ``lerobot_train.train`` (0.6.1), which decides it inline: a policy ``dtype`` of
    bfloat16/float16 turns autocast on; a policy without a ``dtype`` field falls back to ``use_amp``
    (torch.autocast's default dtype for the device). Every other case trains in full precision.
    """
    policy_dtype = getattr(config, "dtype", None)
    mixed_precision = {"bfloat16": "bf16", "float16": "fp16", "float32": "no"}.get(policy_dtype)
    if not hasattr(config, "dtype") and getattr(config, "use_amp", False):
        autocast_dtype = torch.get_autocast_dtype(torch.device(config.device).type)
        mixed_precision = {torch.bfloat16: "bf16", torch.float16: "fp16"}[autocast_dtype]
    return mixed_precision
