"""Assets for multi_task_dit: a tiny CLIP, its vision and text encoders in one directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import bpe_tokenizer


def multi_task_dit(root: Path) -> dict[str, Any]:
    from transformers import CLIPConfig, CLIPModel

    directory = root / "tiny-clip"  # LeRobot recognises a CLIP encoder by "clip" in its name
    tokenizer = bpe_tokenizer(directory)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "max_position_embeddings": 32,
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 56,
            "patch_size": 14,
        },
        projection_dim=32,
    )
    CLIPModel(config).save_pretrained(directory)
    return {
        "vision_encoder_name": str(directory),
        "text_encoder_name": str(directory),
        "image_crop_shape": (56, 56),
        "tokenizer_max_length": 16,
        "hidden_dim": 32,
        "num_layers": 1,
        "num_heads": 2,
        "timestep_embed_dim": 16,
        "horizon": 4,
        "n_action_steps": 2,
        "n_obs_steps": 2,
        "num_train_timesteps": 10,
        "num_inference_steps": 2,
    }
