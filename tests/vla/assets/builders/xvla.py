"""Assets for xvla: a BART tokenizer and the Florence-2 config LeRobot builds its tiny backbone from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import bpe_tokenizer


def xvla(root: Path) -> dict[str, Any]:
    directory = root / "bart"
    tokenizer = bpe_tokenizer(directory)
    width = 32
    florence = {
        "vision_config": {
            "depths": [1, 1],
            "patch_size": [7, 3],
            "patch_stride": [4, 2],
            "patch_padding": [3, 1],
            "patch_prenorm": [False, True],
            "embed_dim": [16, width],
            "num_heads": [2, 2],
            "num_groups": [2, 2],
            "window_size": 4,
            "drop_path_rate": 0.0,
            "projection_dim": width,
            "max_position_embeddings": 16,
            "max_temporal_embeddings": 4,
        },
        "text_config": {
            "model_type": "bart",
            "vocab_size": len(tokenizer) + 1,
            "d_model": width,
            "encoder_layers": 1,
            "decoder_layers": 1,
            "encoder_attention_heads": 2,
            "decoder_attention_heads": 2,
            "encoder_ffn_dim": 64,
            "decoder_ffn_dim": 64,
            "max_position_embeddings": 128,
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        "image_token_id": len(tokenizer),
    }
    return {
        "florence_config": florence,
        "tokenizer_name": str(directory),
        "tokenizer_max_length": 16,
        "hidden_size": 32,
        "depth": 1,
        "num_heads": 2,
        "num_domains": 2,
        "len_soft_prompts": 2,
        "dim_time": 8,
        "max_len_seq": 128,
        "action_mode": "auto",
        "max_state_dim": 8,
        "max_action_dim": 8,
        "chunk_size": 4,
        "n_action_steps": 4,
        "num_denoising_steps": 2,
    }
