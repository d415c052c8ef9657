"""Fixtures for the VLA-type policies: tiny random-weight assets written at test time, fully offline."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass(frozen=True)
class VLACase:
    """One policy, ready to build: its config keyword arguments and a tiny dataset that fits it."""

    policy_type: str
    config_kwargs: dict[str, Any]
    dataset_root: Path
    meta: Any  # LeRobotDatasetMetadata


@pytest.fixture(scope="session")
def vla_dataset(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any], Path]:
    """Record each dataset shape once per session; return its root."""
    from vla.assets.datasets import make_dataset

    roots: dict[Any, Path] = {}

    def get(spec: Any) -> Path:
        if spec not in roots:
            roots[spec] = make_dataset(spec, tmp_path_factory.mktemp("vla_datasets") / "tiny")
        return roots[spec]

    return get


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face hub cache for this test: fake snapshots go here, nothing else is found.

    huggingface_hub reads HF_HUB_CACHE into ``constants.HF_HUB_CACHE`` at import; hf_hub_download,
    snapshot_download and transformers' cached_file read that constant at call time.
    """
    import huggingface_hub.constants

    cache = tmp_path / "hub"
    cache.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    return cache


@pytest.fixture
def vla_case(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    hub_cache: Path,
    vla_dataset: Callable[[Any], Path],
) -> Iterator[VLACase]:
    """Assets for ``request.param`` in a temp dir, and the dataset it trains on.

    The parameter is a policy type, or a named case of DATASET_METADATA_CASES: a policy type on a
    particular dataset, with config overrides.
    """
    from lerobot.datasets import LeRobotDatasetMetadata

    from vla.assets.datasets import REPO_ID
    from vla.assets.policies import DATASET_METADATA_CASES, POLICIES

    policy_type, dataset, overrides = DATASET_METADATA_CASES.get(request.param, (request.param, None, {}))
    tiny = POLICIES[policy_type]
    if tiny.patch is not None:
        request.getfixturevalue(tiny.patch)
    config_kwargs = {"device": "cpu", **tiny.build(tmp_path / "assets", hub_cache), **overrides}
    root = vla_dataset(dataset or tiny.dataset)
    yield VLACase(policy_type, config_kwargs, root, LeRobotDatasetMetadata(REPO_ID, root=root))


@pytest.fixture
def tiny_paligemma(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the PaliGemma sizes pi0, pi05 and pi0_fast hard-code, for this test only
    (``vla.assets.paligemma_patch``); nothing else patches model sizes."""
    from vla.assets.paligemma_patch import shrink_paligemma

    shrink_paligemma(monkeypatch)
