"""The table of the 14 VLA-type policies: how each is built tiny, and the datasets their configs read.

``POLICIES`` pairs each policy type with its builder (``vla.assets.builders``) and the dataset shape it
trains on; conftest.py's ``vla_case`` fixture builds from it, and tests/test_equivalence.py checks that it
and the base policies' table cover every wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vla.assets.builders.evo1 import evo1
from vla.assets.builders.molmoact2 import molmoact2
from vla.assets.builders.multi_task_dit import multi_task_dit
from vla.assets.builders.paligemma import pi0, pi0_fast, pi05
from vla.assets.builders.qwen_vl import eo1, groot, vla_jepa, wall_x
from vla.assets.builders.smolvla import smolvla
from vla.assets.builders.wan import fastwam, lingbot_va
from vla.assets.builders.xvla import xvla
from vla.assets.datasets import DatasetSpec

Builder = Callable[[Path, Path], dict[str, Any]]  # (assets root, hub cache) -> config keyword arguments


@dataclass(frozen=True)
class TinyPolicy:
    """How to build one policy tiny: its assets (config kwargs) and the dataset shape it needs."""

    build: Builder
    dataset: DatasetSpec = field(default_factory=DatasetSpec)
    patch: str | None = None  # name of a conftest fixture that patches hard-coded sizes, if any


def _without_hub(builder: Callable[[Path], dict[str, Any]]) -> Builder:
    """A builder that writes nothing to the hub cache, given the signature all builders share."""
    return lambda root, hub_cache: builder(root)


POLICIES: dict[str, TinyPolicy] = {
    "eo1": TinyPolicy(_without_hub(eo1)),
    "evo1": TinyPolicy(_without_hub(evo1)),
    "fastwam": TinyPolicy(fastwam),
    "groot": TinyPolicy(groot),
    "lingbot_va": TinyPolicy(_without_hub(lingbot_va)),
    "molmoact2": TinyPolicy(_without_hub(molmoact2)),
    "multi_task_dit": TinyPolicy(_without_hub(multi_task_dit)),
    "pi0": TinyPolicy(pi0, patch="tiny_paligemma"),
    "pi05": TinyPolicy(pi05, patch="tiny_paligemma"),
    "pi0_fast": TinyPolicy(_without_hub(pi0_fast), patch="tiny_paligemma"),
    "smolvla": TinyPolicy(_without_hub(smolvla)),
    "vla_jepa": TinyPolicy(_without_hub(vla_jepa)),
    "wall_x": TinyPolicy(_without_hub(wall_x)),
    "xvla": TinyPolicy(_without_hub(xvla)),
}

# Datasets whose feature names or shapes a config reads while make_policy builds it (its
# set_dataset_feature_metadata hook, action_feature_names): name -> (policy type, dataset, overrides).
DATASET_METADATA_CASES: dict[str, tuple[str, DatasetSpec, dict[str, Any]]] = {
    # MolmoAct2 leaves dimensions named "gripper" unnormalised
    # (processor_molmoact2._add_gripper_masks_to_stats).
    "molmoact2-gripper": ("molmoact2", DatasetSpec(gripper=True), {}),
    # FastWAM declares each camera at image_size, whatever the dataset records (64x64 here).
    "fastwam-camera-size": ("fastwam", DatasetSpec(), {"image_size": (32, 32)}),
}
