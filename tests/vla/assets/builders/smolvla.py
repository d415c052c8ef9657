"""Assets for smolvla: a tiny SmolVLM config (LeRobot builds it without weights) and its processor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import bpe_tokenizer


def smolvla(root: Path) -> dict[str, Any]:
    from transformers import (
        SmolVLMConfig,
        SmolVLMImageProcessor,
        SmolVLMProcessor,
        SmolVLMVideoProcessor,
    )

    directory = root / "smolvlm"
    image_tokens = {
        "fake_image_token": "<fake_token_around_image>",
        "image_token": "<image>",
        "global_image_token": "<global-img>",
        "end_of_utterance_token": "<end_of_utterance>",
        "video_token": "<video>",
    }
    tokenizer = bpe_tokenizer(
        directory, specials=list(image_tokens.values()), extra_special_tokens=image_tokens
    )
    config = SmolVLMConfig(
        text_config={
            "model_type": "llama",
            "vocab_size": len(tokenizer),
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "max_position_embeddings": 512,
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 16,
        },
        scale_factor=2,
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )
    config.save_pretrained(directory)
    image_size = {"longest_edge": 64}
    processor = SmolVLMProcessor(
        image_processor=SmolVLMImageProcessor(size=image_size, max_image_size=image_size),
        tokenizer=tokenizer,
        video_processor=SmolVLMVideoProcessor(size=image_size, max_image_size=image_size),
        image_seq_len=4,
    )
    processor.save_pretrained(directory)
    return {
        "vlm_model_name": str(directory),
        "load_vlm_weights": False,
        "num_vlm_layers": 2,
        "resize_imgs_with_padding": (64, 64),
        "chunk_size": 4,
        "n_action_steps": 4,
        "num_steps": 2,
        "max_state_dim": 8,
        "max_action_dim": 8,
        "tokenizer_max_length": 16,
    }
