"""Assets for the policies on Wan2.2 parts (UMT5 text encoder, Wan VAE): fastwam and lingbot_va."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.backbones import UMT5_DIM, WAN_Z_DIM, umt5_encoder, wan_vae
from vla.assets.fake_hub import fake_snapshot
from vla.assets.tokenizers import unigram_tokenizer


def fastwam(root: Path, hub_cache: Path) -> dict[str, Any]:
    from lerobot.policies.fastwam.configuration_fastwam import WAN22_DIFFUSERS_MODEL_ID

    # The VAE always loads from the hard-coded Wan2.2 diffusers repo (wan.components.load_pretrained_wan_vae).
    wan_vae(fake_snapshot(hub_cache, WAN22_DIFFUSERS_MODEL_ID) / "vae")
    text = root / "umt5"
    tokenizer = unigram_tokenizer(text)
    umt5_encoder(text / "text_encoder", tokenizer)
    heads, head_dim = 2, 16
    # The fields the video and action DiTs share; the action DiT takes no others.
    action = {
        "action_dim": 4,
        "hidden_dim": heads * head_dim,
        "ffn_dim": 64,
        "num_heads": heads,
        "attn_head_dim": head_dim,
        "num_layers": 1,
        "text_dim": UMT5_DIM,
        "freq_dim": 32,
        "eps": 1.0e-6,
    }
    video = {
        **action,
        "patch_size": [1, 2, 2],
        "in_dim": WAN_Z_DIM,
        "out_dim": WAN_Z_DIM,
        "seperated_timestep": True,
        "video_attention_mask_mode": "first_frame_causal",
        "action_conditioned": False,
        "action_group_causal_mask_mode": "group_diagonal",
    }
    return {
        "action_dim": 4,
        "proprio_dim": 4,
        "action_horizon": 4,
        "n_action_steps": 4,
        "num_video_frames": 5,
        "action_video_freq_ratio": 1,
        "image_size": (64, 64),
        "context_len": 16,
        "tokenizer_model_id": str(text),
        "text_encoder_model_id": str(text),
        "base_model_id": None,  # else FastWAMConfig points pretrained_path at lerobot/fastwam_base
        "tokenizer_max_len": 16,
        # bfloat16 (the default) fails natively on CPU: WanVideoDiT's time embedding runs under
        # torch.amp.autocast("cuda", torch.float32), a no-op on CPU, and feeds fp32 to bf16 weights.
        "torch_dtype": "float32",
        "num_inference_steps": 2,
        "video_dit_config": video,
        "action_dit_config": action,
    }


def lingbot_va(root: Path) -> dict[str, Any]:
    # LingBot-VA loads its frozen VAE, UMT5 encoder and tokenizer from sub-folders of one directory.
    wan = root / "wan"
    tokenizer = unigram_tokenizer(wan / "tokenizer")
    umt5_encoder(wan / "text_encoder", tokenizer)
    wan_vae(wan / "vae")
    return {
        "wan_pretrained_path": str(wan),
        "num_attention_heads": 2,
        "attention_head_dim": 24,  # its 3-axis RoPE needs head_dim // 3 and the rest both even
        "in_channels": WAN_Z_DIM,
        "out_channels": WAN_Z_DIM,
        "action_dim": 4,
        "used_action_channel_ids": [0, 1, 2, 3],
        "text_dim": UMT5_DIM,
        "freq_dim": 32,
        "ffn_dim": 64,
        "num_layers": 1,
        "rope_max_seq_len": 64,
        "obs_cam_keys": ["observation.images.top"],
        "height": 64,
        "width": 64,
        "action_per_frame": 4,
        "frame_chunk_size": 2,  # the first chunk drops its conditioning frame's actions
        "attn_window": 4,
        "num_inference_steps": 2,
        "action_num_inference_steps": 2,
        "max_sequence_length": 16,
    }
