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
    """Shrink the PaliGemma sizes pi0, pi05 and pi0_fast hard-code; nothing else patches model sizes.

    Upstream, ``modeling_pi0.get_gemma_config`` (and its copies in ``modeling_pi05`` and
    ``modeling_pi0_fast``) accepts only ``gemma_300m`` and ``gemma_2b``, and ``PaliGemmaWithExpertModel``
    / ``PI0FastPaliGemma.__init__`` fix the vocabulary (257152), SigLIP's size and projection (2048)
    before constructing ``PaliGemmaForConditionalGenerationWithPiGemma`` and ``PiGemmaForCausalLM``.
    Both names are replaced in each modeling module's namespace, for this test only. Eight heads stay:
    ``compute_layer_complete`` reshapes attention outputs to ``8 * head_dim``.
    """
    from lerobot.policies.pi0 import modeling_pi0
    from lerobot.policies.pi0_fast import modeling_pi0_fast
    from lerobot.policies.pi05 import modeling_pi05

    from vla.assets.builders.paligemma import PALIGEMMA_VOCAB, PI_IMAGE_SIZE

    def tiny_vlm(config: Any) -> Any:
        text, vision = config.text_config, config.vision_config
        config._vocab_size = text.vocab_size = config.image_token_index = PALIGEMMA_VOCAB
        vision.hidden_size, vision.intermediate_size = 32, 64
        vision.num_hidden_layers, vision.num_attention_heads = 1, 2
        vision.image_size, vision.patch_size = PI_IMAGE_SIZE, 16
        vision.projection_dim = text.hidden_size  # image tokens join the language stream
        return config

    for module in (modeling_pi0, modeling_pi05, modeling_pi0_fast):
        sizes = {
            "gemma_2b": module.GemmaConfig(
                width=32, depth=1, mlp_dim=64, num_heads=8, num_kv_heads=1, head_dim=4
            ),
            "gemma_300m": module.GemmaConfig(
                width=16, depth=1, mlp_dim=32, num_heads=8, num_kv_heads=1, head_dim=4
            ),
        }
        monkeypatch.setattr(module, "get_gemma_config", sizes.__getitem__)
        vlm_class = module.PaliGemmaForConditionalGenerationWithPiGemma
        monkeypatch.setattr(
            module,
            "PaliGemmaForConditionalGenerationWithPiGemma",
            lambda config, vlm_class=vlm_class: vlm_class(config=tiny_vlm(config)),
        )
        expert_class = getattr(module, "PiGemmaForCausalLM", None)
        if expert_class is not None:

            def tiny_expert(config: Any, expert_class: Any = expert_class) -> Any:
                config.vocab_size = PALIGEMMA_VOCAB  # its embeddings are dropped; only lm_head remains
                return expert_class(config=config)

            monkeypatch.setattr(module, "PiGemmaForCausalLM", tiny_expert)
