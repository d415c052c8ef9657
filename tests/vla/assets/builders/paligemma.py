"""Assets for pi0, pi05 and pi0_fast: PaliGemma tokenizers and, for pi0_fast, a FAST action tokenizer.

The PaliGemma model itself is built by LeRobot at sizes it hard-codes, shrunk by the one patch of LeRobot,
``vla.assets.paligemma_patch`` (applied by the ``tiny_paligemma`` fixture in tests/vla/conftest.py), which
reads the sizes named here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.fake_hub import fake_snapshot
from vla.assets.tokenizers import byte_tokenizer, fast_action_tokenizer

PALIGEMMA_REPO_ID = "google/paligemma-3b-pt-224"  # pi0's and pi05's processors hard-code it
PALIGEMMA_VOCAB = 512  # the tiny PaliGemma's vocabulary: exactly the tiny tokenizer's
PI_IMAGE_SIZE = 32  # SigLIP at patch 16: four image tokens per camera
CHUNK_SIZE = 4

PI_COMMON: dict[str, Any] = {
    "chunk_size": CHUNK_SIZE,
    "n_action_steps": CHUNK_SIZE,
    "max_state_dim": 8,
    "max_action_dim": 8,
    "image_resolution": (PI_IMAGE_SIZE, PI_IMAGE_SIZE),
}


def paligemma_tokenizer(directory: Path) -> Any:
    tokenizer = byte_tokenizer(directory, PALIGEMMA_VOCAB)
    # AutoTokenizer reads the repo's config.json before its tokenizer files.
    (directory / "config.json").write_text('{"model_type": "paligemma"}')
    return tokenizer


def pi0(root: Path, hub_cache: Path) -> dict[str, Any]:
    paligemma_tokenizer(fake_snapshot(hub_cache, PALIGEMMA_REPO_ID))
    return {**PI_COMMON, "num_inference_steps": 2, "tokenizer_max_length": 24}


def pi05(root: Path, hub_cache: Path) -> dict[str, Any]:
    paligemma_tokenizer(fake_snapshot(hub_cache, PALIGEMMA_REPO_ID))
    return {**PI_COMMON, "num_inference_steps": 2, "tokenizer_max_length": 48}


def pi0_fast(root: Path) -> dict[str, Any]:
    text = root / "paligemma"
    paligemma_tokenizer(text)
    action = root / "fast"
    fast_action_tokenizer(action, chunk_size=CHUNK_SIZE, action_dim=4)
    return {
        **PI_COMMON,
        "text_tokenizer_name": str(text),
        "action_tokenizer_name": str(action),
        "tokenizer_max_length": 48,
        "max_action_tokens": 16,
        "max_decoding_steps": 8,
        "validate_action_token_prefix": False,  # random weights never say "Action:"
    }
