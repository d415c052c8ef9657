"""Tiny random-weight backbones that several policies share, with their processors.

Qwen3-VL (groot's Cosmos-Reason2, vla_jepa) and Qwen2.5-VL (eo1, wall_x) configs and processors, and the
Wan2.2 parts (UMT5 text encoder, Wan VAE) that fastwam and lingbot_va load. A backbone only one policy
uses is built in that policy's builder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.tokenizers import QWEN_CHAT_TEMPLATE, qwen_token_ids

# --- Qwen-VL --------------------------------------------------------------------------------------

QWEN3_IMAGE_PIXELS = {"min_pixels": 32 * 32, "max_pixels": 64 * 64}  # 4 to 16 patches of 16x16
QWEN2_5_IMAGE_PIXELS = {"min_pixels": 28 * 28, "max_pixels": 56 * 56}  # 1 to 4 merged tokens of 28x28


def _qwen_text(tokenizer: Any, hidden: int, layers: int, **fields: Any) -> dict[str, Any]:
    return {
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 2 * hidden,
        "num_hidden_layers": layers,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "max_position_embeddings": 512,
        "pad_token_id": tokenizer.pad_token_id,
        **fields,
    }


def _qwen_vision(hidden: int, patch_size: int, **fields: Any) -> dict[str, Any]:
    return {
        "depth": 1,
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_heads": 2,
        "patch_size": patch_size,
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "out_hidden_size": hidden,
        **fields,
    }


def qwen3_vl_config(tokenizer: Any, hidden: int = 32, layers: int = 2) -> Any:
    from transformers import Qwen3VLConfig

    rope = {
        "rope_type": "default",
        "rope_theta": 10000.0,
        "mrope_section": [2, 3, 3],  # sums to head_dim / 2
        "mrope_interleaved": True,
    }
    return Qwen3VLConfig(
        text_config=_qwen_text(tokenizer, hidden, layers, head_dim=16, rope_parameters=rope),
        vision_config=_qwen_vision(hidden, 16, num_position_embeddings=16, deepstack_visual_indexes=[0]),
        **qwen_token_ids(tokenizer),
    )


def qwen2_5_vl_config(tokenizer: Any, hidden: int = 32, layers: int = 2) -> Any:
    from transformers import Qwen2_5_VLConfig

    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]}
    text = _qwen_text(
        tokenizer,
        hidden,
        layers,
        rope_parameters=rope,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    return Qwen2_5_VLConfig(
        text_config=text,
        vision_config=_qwen_vision(hidden, 14, window_size=56, fullatt_block_indexes=[0]),
        dtype="float32",
        **qwen_token_ids(tokenizer),
    )


def _qwen_vl_processor(
    directory: Path,
    tokenizer: Any,
    processor_class: Any,
    video_processor_class: Any,
    patch_size: int,
    pixels: dict[str, int],
) -> Any:
    """A Qwen-VL processor, and its image and video processors on their own (groot loads those)."""
    from transformers import Qwen2VLImageProcessor

    image_processor = Qwen2VLImageProcessor(patch_size=patch_size, merge_size=2, **pixels)
    video_processor = video_processor_class(
        patch_size=patch_size,
        merge_size=2,
        size={"shortest_edge": pixels["min_pixels"], "longest_edge": pixels["max_pixels"]},
    )
    processor = processor_class(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    processor.save_pretrained(directory)
    image_processor.save_pretrained(directory)
    video_processor.save_pretrained(directory)
    return processor


def qwen3_vl_processor(directory: Path, tokenizer: Any) -> Any:
    from transformers import Qwen3VLProcessor, Qwen3VLVideoProcessor

    return _qwen_vl_processor(
        directory, tokenizer, Qwen3VLProcessor, Qwen3VLVideoProcessor, 16, QWEN3_IMAGE_PIXELS
    )


def qwen2_5_vl_processor(directory: Path, tokenizer: Any) -> Any:
    from transformers import Qwen2_5_VLProcessor, Qwen2VLVideoProcessor

    return _qwen_vl_processor(
        directory, tokenizer, Qwen2_5_VLProcessor, Qwen2VLVideoProcessor, 14, QWEN2_5_IMAGE_PIXELS
    )


# --- Wan2.2 (fastwam, lingbot_va) -----------------------------------------------------------------

WAN_Z_DIM = 48  # FastWAM's WanVideoVAE38 and LingBot-VA both hard-code the Wan2.2 latent size
UMT5_DIM = 32  # the tiny text encoder's width, which each policy's config repeats as its text_dim


def umt5_encoder(directory: Path, tokenizer: Any) -> None:
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=len(tokenizer),
        d_model=UMT5_DIM,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        dtype="float32",
    )
    UMT5EncoderModel(config).save_pretrained(directory)


def wan_vae(directory: Path) -> None:
    """A tiny Wan2.2-shaped VAE: 48 latent channels, 16x spatial (8x down, patch 2), 4x temporal."""
    from diffusers import AutoencoderKLWan

    AutoencoderKLWan(
        base_dim=8,
        decoder_base_dim=8,
        z_dim=WAN_Z_DIM,
        dim_mult=[1, 1, 1, 1],
        num_res_blocks=1,
        temperal_downsample=[False, True, True],
        is_residual=True,
        in_channels=12,  # RGB after the 2x2 patchify
        out_channels=12,
        patch_size=2,
        scale_factor_spatial=16,
        latents_mean=[0.0] * WAN_Z_DIM,
        latents_std=[1.0] * WAN_Z_DIM,
    ).save_pretrained(directory)
