"""Assets for molmoact2: a tiny MolmoAct2 checkpoint, its tokenizer with every marker, a FAST tokenizer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import bpe_tokenizer, fast_action_tokenizer


def molmoact2(root: Path) -> dict[str, Any]:
    """A tiny MolmoAct2 checkpoint: HF config, strict-matching safetensors, processor config, tokenizers."""
    import json

    import torch
    from lerobot.policies.molmoact2.molmoact2_hf_model.configuration_molmoact2 import (
        MolmoAct2Config as HFMolmoAct2Config,
    )
    from lerobot.policies.molmoact2.molmoact2_hf_model.modeling_molmoact2 import (
        MolmoAct2ForConditionalGeneration,
    )
    from lerobot.policies.molmoact2.molmoact2_hf_model.processing_molmoact2 import IMAGE_TOKENS
    from lerobot.policies.molmoact2.processor_molmoact2 import (
        ACTION_END_TOKEN,
        ACTION_OUTPUT_TOKEN,
        ACTION_START_TOKEN,
        CONTROL_END_TOKEN,
        CONTROL_START_TOKEN,
        SETUP_END_TOKEN,
        SETUP_START_TOKEN,
        STATE_END_TOKEN,
        STATE_START_TOKEN,
    )

    chunk_size, num_state_tokens, fast_vocab = 4, 16, 64
    fast = root / "molmoact2_fast"
    fast_action_tokenizer(fast, chunk_size=chunk_size, action_dim=4, vocab_size=fast_vocab)

    directory = root / "molmoact2"
    state_tokens = [f"<state_{index}>" for index in range(num_state_tokens)]
    action_tokens = [f"<action_{index}>" for index in range(fast_vocab)]  # contiguous ids, as the model needs
    markers = [
        ACTION_OUTPUT_TOKEN,
        ACTION_START_TOKEN,
        ACTION_END_TOKEN,
        STATE_START_TOKEN,
        STATE_END_TOKEN,
        SETUP_START_TOKEN,
        SETUP_END_TOKEN,
        CONTROL_START_TOKEN,
        CONTROL_END_TOKEN,
    ]
    tokenizer = bpe_tokenizer(
        directory,
        specials=[
            "<|im_start|>",
            "<|im_end|>",
            "<|endoftext|>",
            "<|image|>",
            "<|video|>",
            *IMAGE_TOKENS,
            *markers,
            *state_tokens,
            *action_tokens,
        ],
    )
    ids = tokenizer.convert_tokens_to_ids
    hidden, layers, image_size, patch = 32, 2, 28, 14
    config = HFMolmoAct2Config(
        vit_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "image_default_input_size": (image_size, image_size),
            "image_patch_size": patch,
            "image_num_pos": (image_size // patch) ** 2,
        },
        adapter_config={
            "vit_layers": (-1, -2),
            "hidden_size": 32,
            "num_attention_heads": 2,
            "num_key_value_heads": 2,
            "head_dim": 16,
            "intermediate_size": 64,
            "text_hidden_size": hidden,
        },
        text_config={
            "hidden_size": hidden,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "vocab_size": len(tokenizer),
            "additional_vocab_size": 8,
            "num_hidden_layers": layers,
            "intermediate_size": 64,
            "max_position_embeddings": 1024,
        },
        action_expert_config={
            "hidden_size": 32,
            "num_layers": layers,
            "num_heads": 2,
            "ffn_multiple_of": 16,
            "timestep_embed_dim": 16,
        },
        image_start_token_id=ids("<im_start>"),
        low_res_image_start_token_id=ids("<low_res_im_start>"),
        image_end_token_id=ids("<im_end>"),
        image_low_res_id=ids("<im_low>"),
        image_patch_id=ids("<im_patch>"),
        image_col_id=ids("<im_col>"),
        frame_start_token_id=ids("<frame_start>"),
        frame_end_token_id=ids("<frame_end>"),
        max_action_dim=32,  # the only width LeRobot accepts for MolmoAct2 checkpoints
        max_action_horizon=chunk_size,
        n_obs_steps=1,
        action_output_token_id=ids(ACTION_OUTPUT_TOKEN),
        action_start_token_id=ids(ACTION_START_TOKEN),
        action_end_token_id=ids(ACTION_END_TOKEN),
        action_token_start_id=ids(action_tokens[0]),
        num_action_tokens=fast_vocab,
        state_start_token_id=ids(STATE_START_TOKEN),
        state_end_token_id=ids(STATE_END_TOKEN),
        state_token_start_id=ids(state_tokens[0]),
        num_state_tokens=num_state_tokens,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.bos_token_id,
    )
    torch.manual_seed(0)
    MolmoAct2ForConditionalGeneration(config).save_pretrained(directory)
    processor_config = {
        "image_processor": {
            "size": {"height": image_size, "width": image_size},
            "patch_size": patch,
            "pooling_size": [2, 2],
            "max_crops": 1,
        },
        "video_processor": {"patch_size": patch, "pooling_size": [2, 2]},
    }
    (directory / "processor_config.json").write_text(json.dumps(processor_config, indent=2))
    return {
        "checkpoint_path": str(directory),
        "discrete_action_tokenizer": str(fast),
        "chunk_size": chunk_size,
        "n_action_steps": chunk_size,
        "num_state_tokens": num_state_tokens,
        "num_flow_timesteps": 2,
        "num_inference_steps": 2,
        "inference_action_mode": "continuous",  # required at inference: the flow-matching head
    }
