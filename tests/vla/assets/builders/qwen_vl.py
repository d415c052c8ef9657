"""Assets for the policies on Qwen-VL backbones: eo1, wall_x (Qwen2.5-VL); groot, vla_jepa (Qwen3-VL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vla.assets.backbones import (
    QWEN2_5_IMAGE_PIXELS,
    qwen2_5_vl_config,
    qwen2_5_vl_processor,
    qwen3_vl_config,
    qwen3_vl_processor,
)
from vla.assets.fake_hub import fake_snapshot
from vla.assets.tokenizers import qwen_token_ids, qwen_tokenizer


def eo1(root: Path) -> dict[str, Any]:
    from lerobot.policies.eo1.processor_eo1 import EO1_SPECIAL_TOKENS
    from transformers import Qwen2_5_VLForConditionalGeneration

    directory = root / "qwen2_5_vl"
    # EO1's processor adds its state/action tokens to the tokenizer; here they are in the vocabulary
    # from the start, so the tiny backbone's embeddings cover them.
    tokenizer = qwen_tokenizer(directory, specials=EO1_SPECIAL_TOKENS)
    qwen2_5_vl_processor(directory, tokenizer)
    Qwen2_5_VLForConditionalGeneration(qwen2_5_vl_config(tokenizer)).save_pretrained(directory)
    return {
        "vlm_base": str(directory),
        "image_min_pixels": QWEN2_5_IMAGE_PIXELS["min_pixels"],
        "image_max_pixels": QWEN2_5_IMAGE_PIXELS["max_pixels"],
        "chunk_size": 4,
        "n_action_steps": 4,
        "max_state_dim": 8,
        "max_action_dim": 8,
        "num_denoise_steps": 2,
        "dtype": "float32",
    }


def groot(root: Path, hub_cache: Path) -> dict[str, Any]:
    from lerobot.policies.groot.configuration_groot import GROOT_N1_7_BACKBONE_MODEL
    from lerobot.policies.groot.groot_n1_7 import GR00TN17, GR00TN17Config

    # The processor reads the backbone's tokenizer and image/video processors from the hard-coded
    # Cosmos-Reason2 repo id (processor_groot.make_groot_pre_post_processors, GrootN17VLMEncodeStep).
    # AutoTokenizer reads the snapshot's config.json first, as it would the real repo's.
    cosmos = fake_snapshot(hub_cache, GROOT_N1_7_BACKBONE_MODEL)
    tokenizer = qwen_tokenizer(cosmos)
    qwen3_vl_processor(cosmos, tokenizer)
    qwen3_vl_config(tokenizer).save_pretrained(cosmos)

    backbone = root / "qwen3vl"
    qwen3_vl_config(tokenizer).save_pretrained(backbone)
    hidden = 32
    config = GR00TN17Config(
        model_name=str(backbone),
        backbone_embedding_dim=hidden,
        select_layer=2,
        max_state_dim=8,
        max_action_dim=8,
        action_horizon=4,
        hidden_size=hidden,
        input_embedding_dim=hidden,
        max_seq_len=64,
        max_num_embodiments=11,  # "new_embodiment" is id 10
        num_inference_timesteps=2,
        diffusion_model_cfg={
            "positional_embeddings": None,
            "num_layers": 2,
            "num_attention_heads": 2,
            "attention_head_dim": 16,
            "norm_type": "ada_norm",
            "dropout": 0.2,
            "final_dropout": True,
            "output_dim": hidden,
            "interleave_self_attention": True,
        },
        vl_self_attention_cfg={
            "positional_embeddings": None,
            "num_layers": 1,
            "num_attention_heads": 2,
            "attention_head_dim": 16,
            "dropout": 0.2,
            "final_dropout": True,
        },
    )
    model_dir = root / "gr00t"
    GR00TN17(config, load_backbone_weights=False).save_pretrained(model_dir)
    return {
        "base_model_path": str(model_dir),
        "max_state_dim": 8,
        "max_action_dim": 8,
        "chunk_size": 4,
        "n_action_steps": 4,
    }


def vla_jepa(root: Path) -> dict[str, Any]:
    from transformers import Qwen3VLForConditionalGeneration, VJEPA2Config, VJEPA2Model, VJEPA2VideoProcessor

    chunk_size = 4
    qwen = root / "qwen3vl"
    # The action tokens VLAJEPAModel adds to the tokenizer (chunk_size * 4 of them) are in the vocabulary
    # from the start: the tiny backbone's embeddings then need no resizing.
    action_tokens = [f"<|action_{index}|>" for index in range(chunk_size * 4)]
    tokenizer = qwen_tokenizer(qwen, specials=[*action_tokens, "<|embodied_action|>"])
    qwen3_vl_processor(qwen, tokenizer)
    Qwen3VLForConditionalGeneration(qwen3_vl_config(tokenizer)).save_pretrained(qwen)

    jepa = root / "vjepa2"
    crop = 64  # VLA-JEPA sizes its predictor from the camera's width, so crop to it
    VJEPA2Model(
        VJEPA2Config(
            patch_size=16,
            crop_size=crop,
            frames_per_clip=4,
            tubelet_size=2,
            hidden_size=32,
            num_attention_heads=2,
            num_hidden_layers=1,
            mlp_ratio=2.0,
            num_pooler_layers=1,
            pred_hidden_size=32,
            pred_num_attention_heads=2,
            pred_num_hidden_layers=1,
            pred_num_mask_tokens=2,
            pred_mlp_ratio=2.0,
        )
    ).save_pretrained(jepa)
    VJEPA2VideoProcessor(size={"shortest_edge": crop}, crop_size=crop).save_pretrained(jepa)
    return {
        "qwen_model_name": str(qwen),
        "jepa_encoder_name": str(jepa),
        "chunk_size": chunk_size,
        "n_action_steps": chunk_size,
        "num_action_tokens_per_timestep": 2,
        "num_embodied_action_tokens_per_instruction": 2,
        "num_inference_timesteps": 2,
        "action_model_type": "DiT-test",
        "action_hidden_size": 16,
        "action_num_layers": 1,
        "num_target_vision_tokens": 4,
        "num_video_frames": 4,
        "predictor_depth": 1,
        "predictor_num_heads": 2,
        "repeated_diffusion_steps": 2,
        "gripper_dim": 3,  # the last of the tiny dataset's four action dimensions
        # bfloat16 (the default) fails natively on CPU: VLAJEPAModel._action_loss feeds bf16 states to
        # the fp32 action head under torch.autocast("cpu", torch.float32), which CPU autocast ignores.
        "torch_dtype": "float32",
    }


def wall_x(root: Path) -> dict[str, Any]:
    """A tiny Wall-X checkpoint (Qwen2.5-VL with a two-expert MoE MLP), written by building the model."""
    import torch
    from lerobot.policies.wall_x.modeling_wall_x import Qwen2_5_VLMoEForAction
    from lerobot.policies.wall_x.qwen_model.configuration_qwen2_5_vl import Qwen2_5_VLConfig

    directory = root / "wall_x"
    tokenizer = qwen_tokenizer(directory, specials=["<|propri|>", "<|action|>", "<|action_fast|>"])
    processor = qwen2_5_vl_processor(directory, tokenizer)
    hidden, action_dim, state_dim = 32, 8, 8
    base = qwen2_5_vl_config(tokenizer, hidden=hidden).to_dict()
    expert = {"hidden_size": hidden, "intermediate_size": 2 * hidden, "hidden_act": "silu"}
    text = {
        **base["text_config"],
        "mlp_moe": True,
        "num_experts": 2,  # tokens of the VLM and of the action expert
        "experts": [expert, expert],
        "dim_inputs": [hidden, hidden],
        "dof_config": {"arm": action_dim},  # the action head's width: max_action_dim in total
    }
    config = Qwen2_5_VLConfig(
        text_config=text,
        vision_config=base["vision_config"],
        agent_pos_config={"arm": state_dim},  # proprioception: max_state_dim in total
        **qwen_token_ids(tokenizer),
    )
    torch.manual_seed(0)
    Qwen2_5_VLMoEForAction(config, processor=processor).save_pretrained(directory)
    return {
        "pretrained_name_or_path": str(directory),
        "chunk_size": 4,
        "n_action_steps": 4,
        "max_action_dim": action_dim,
        "max_state_dim": state_dim,
    }
