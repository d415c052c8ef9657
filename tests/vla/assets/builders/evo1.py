"""Assets for evo1: a tiny InternVL (vision tower, Qwen2 language model) and its tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import bpe_tokenizer


def evo1(root: Path) -> dict[str, Any]:
    from transformers import InternVLConfig, InternVLModel

    directory = root / "internvl"
    tokenizer = bpe_tokenizer(directory, specials=["<img>", "</img>", "<IMG_CONTEXT>"])
    image_size, patch_size = 56, 14
    config = InternVLConfig(
        vision_config={
            "hidden_size": 32,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "intermediate_size": 64,
            "image_size": [image_size, image_size],
            "patch_size": [patch_size, patch_size],
        },
        text_config={
            "model_type": "qwen2",
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 512,
            "pad_token_id": tokenizer.pad_token_id,
        },
        image_token_id=tokenizer.convert_tokens_to_ids("<IMG_CONTEXT>"),
        image_seq_length=(image_size // patch_size) ** 2 // 4,  # pixel shuffle at downsample_ratio 0.5
        dtype="float32",
    )
    InternVLModel(config).save_pretrained(directory)
    return {
        "vlm_model_name": str(directory),
        "vlm_num_layers": 2,
        "use_flash_attn": False,
        "image_resolution": (image_size, image_size),
        "max_views": 1,
        "max_text_length": 64,
        "embed_dim": 32,
        "hidden_dim": 32,
        "state_hidden_dim": 32,
        "num_heads": 2,
        "num_layers": 1,
        "num_inference_timesteps": 2,
        "chunk_size": 4,
        "n_action_steps": 4,
        "max_state_dim": 8,
        "max_action_dim": 8,
    }
