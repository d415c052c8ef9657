"""Tiny, offline, random-weight assets for the 14 VLA-type LeRobot policies, written at test time.

Each builder writes what one policy loads into a temp directory (backbones and checkpoints saved with
``save_pretrained``, tokenizers trained with the ``tokenizers`` library, processors) and returns the
config keyword arguments that point LeRobot at them; ``POLICIES`` pairs it with the dataset shape the
policy needs. Repo ids LeRobot hard-codes, with no config field to redirect them, get a fake snapshot in
a temp hub cache (``fake_snapshot``): ``google/paligemma-3b-pt-224`` (pi0, pi05), ``nvidia/Cosmos-Reason2-2B``
(groot) and ``Wan-AI/Wan2.2-TI2V-5B-Diffusers`` (fastwam). Model sizes LeRobot hard-codes (pi0, pi05,
pi0_fast) are patched by one fixture, ``tiny_paligemma`` in conftest.py; nothing here patches LeRobot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# --- tokenizers -----------------------------------------------------------------------------------

SENTENCES = [
    "reach the origin",
    "pick up the red cube and place it in the box",
    "Action: move the arm to the left",
    "the robot moves its gripper up and down",
    "User: what should the robot do? Assistant: reach the origin",
    "0 1 2 3 4 5 6 7 8 9 , . : ; ! ? ( ) [ ] { } < > / | - _ + = * # @",
]


def bpe_tokenizer(
    directory: Path,
    *,
    specials: Sequence[str] = (),
    vocab_size: int = 400,
    extra: dict[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """A byte-level BPE tokenizer trained on a few sentences, saved as a PreTrainedTokenizerFast."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    base = ["<pad>", "<s>", "</s>", "<unk>"]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*base, *specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        **(extra or {}),
        **kwargs,
    )
    directory.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(directory)
    return fast


# --- datasets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSpec:
    """What a policy needs from its dataset: camera names, image size, state and action sizes."""

    cameras: tuple[str, ...] = ("observation.images.top",)
    image_size: tuple[int, int] = (64, 64)  # height, width
    state_dim: int = 4
    action_dim: int = 4
    gripper: bool = False  # name the last state and action dimension "gripper"

    def names(self, prefix: str, size: int) -> list[str]:
        names = [f"{prefix}{i}" for i in range(size)]
        return [*names[:-1], "gripper"] if self.gripper else names

    def features(self) -> dict[str, dict[str, Any]]:
        height, width = self.image_size
        features: dict[str, dict[str, Any]] = {
            "observation.state": {
                "dtype": "float32",
                "shape": (self.state_dim,),
                "names": self.names("s", self.state_dim),
            },
            "action": {
                "dtype": "float32",
                "shape": (self.action_dim,),
                "names": self.names("j", self.action_dim),
            },
        }
        for camera in self.cameras:
            features[camera] = {
                "dtype": "image",
                "shape": (height, width, 3),
                "names": ["height", "width", "channels"],
            }
        return features


REPO_ID = "local/tiny_vla"
FPS = 10


def make_dataset(spec: DatasetSpec, root: Path, episodes: int = 2, frames: int = 16, seed: int = 0) -> Path:
    """Record a small image dataset (no video) for ``spec`` and return its root."""
    import numpy as np
    from lerobot.datasets import LeRobotDataset

    rng = np.random.default_rng(seed)
    dataset = LeRobotDataset.create(REPO_ID, fps=FPS, features=spec.features(), root=root, use_videos=False)
    height, width = spec.image_size
    for _ in range(episodes):
        state = rng.uniform(-0.9, 0.9, size=spec.state_dim).astype(np.float32)
        for _ in range(frames):
            # Within [-1, 1], as grippers are (MolmoAct2 refuses unnormalised grippers outside it).
            action = np.clip(rng.normal(scale=0.3, size=spec.action_dim), -0.95, 0.95).astype(np.float32)
            frame: dict[str, Any] = {
                "observation.state": state.copy(),
                "action": action,
                "task": "reach the origin",
            }
            for camera in spec.cameras:
                frame[camera] = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
            dataset.add_frame(frame)
            state = np.clip(state + rng.normal(scale=0.05, size=spec.state_dim), -0.95, 0.95).astype(
                np.float32
            )
        dataset.save_episode()
    dataset.finalize()
    return root


# --- fake hub-cache snapshots (only for repo ids LeRobot hard-codes) ------------------------------

SNAPSHOT_REVISION = "0" * 40


def fake_snapshot(hub_cache: Path, repo_id: str) -> Path:
    """The directory ``huggingface_hub`` resolves ``repo_id`` to, offline, under ``hub_cache``."""
    repo = hub_cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / SNAPSHOT_REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(SNAPSHOT_REVISION)
    return snapshot


# --- Qwen-VL family (groot's Cosmos-Reason2, eo1, vla_jepa, wall_x) -------------------------------

QWEN_TOKENS = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_start_token": "<|vision_start|>",
    "vision_end_token": "<|vision_end|>",
}
QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", *QWEN_TOKENS.values()]
# Qwen's chat layout, reduced to what LeRobot's processors render: roles, images, videos and text.
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
QWEN_IMAGE_PIXELS = {"min_pixels": 32 * 32, "max_pixels": 64 * 64}  # 4 to 16 patches of 16x16


def qwen_tokenizer(directory: Path, specials: Sequence[str] = (), **kwargs: Any) -> Any:
    tokenizer = bpe_tokenizer(
        directory,
        specials=[*QWEN_SPECIALS, *specials],
        extra={"extra_special_tokens": dict(QWEN_TOKENS)},
        chat_template=QWEN_CHAT_TEMPLATE,
        **kwargs,
    )
    tokenizer.save_pretrained(directory)
    return tokenizer


def qwen_token_ids(tokenizer: Any) -> dict[str, int]:
    return {
        "image_token_id": tokenizer.convert_tokens_to_ids("<|image_pad|>"),
        "video_token_id": tokenizer.convert_tokens_to_ids("<|video_pad|>"),
        "vision_start_token_id": tokenizer.convert_tokens_to_ids("<|vision_start|>"),
        "vision_end_token_id": tokenizer.convert_tokens_to_ids("<|vision_end|>"),
    }


def qwen3_vl_config(tokenizer: Any, hidden: int = 32, layers: int = 2) -> Any:
    from transformers import Qwen3VLConfig

    return Qwen3VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "max_position_embeddings": 512,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 10000.0,
                "mrope_section": [2, 3, 3],  # sums to head_dim / 2
                "mrope_interleaved": True,
            },
            "pad_token_id": tokenizer.pad_token_id,
        },
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 16,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "out_hidden_size": hidden,
            "num_position_embeddings": 16,
            "deepstack_visual_indexes": [0],
        },
        **qwen_token_ids(tokenizer),
    )


def qwen3_vl_processor(directory: Path, tokenizer: Any) -> Any:
    from transformers import Qwen2VLImageProcessor, Qwen3VLProcessor, Qwen3VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(patch_size=16, merge_size=2, **QWEN_IMAGE_PIXELS)
    video_processor = Qwen3VLVideoProcessor(
        patch_size=16,
        merge_size=2,
        size={
            "shortest_edge": QWEN_IMAGE_PIXELS["min_pixels"],
            "longest_edge": QWEN_IMAGE_PIXELS["max_pixels"],
        },
    )
    processor = Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    processor.save_pretrained(directory)
    image_processor.save_pretrained(directory)
    video_processor.save_pretrained(directory)
    return processor


def qwen2_5_vl_config(tokenizer: Any, hidden: int = 32, layers: int = 2) -> Any:
    from transformers import Qwen2_5_VLConfig

    return Qwen2_5_VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": hidden,
            "intermediate_size": 2 * hidden,
            "num_hidden_layers": layers,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 512,
            "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 3, 3]},
            "pad_token_id": tokenizer.pad_token_id,
            "bos_token_id": tokenizer.bos_token_id,
            "eos_token_id": tokenizer.eos_token_id,
        },
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_heads": 2,
            "patch_size": 14,
            "spatial_merge_size": 2,
            "temporal_patch_size": 2,
            "window_size": 56,
            "out_hidden_size": hidden,
            "fullatt_block_indexes": [0],
        },
        dtype="float32",
        **qwen_token_ids(tokenizer),
    )


QWEN2_5_IMAGE_PIXELS = {"min_pixels": 28 * 28, "max_pixels": 56 * 56}  # 1 to 4 merged tokens of 28x28


def qwen2_5_vl_processor(directory: Path, tokenizer: Any) -> Any:
    from transformers import Qwen2_5_VLProcessor, Qwen2VLImageProcessor, Qwen2VLVideoProcessor

    image_processor = Qwen2VLImageProcessor(patch_size=14, merge_size=2, **QWEN2_5_IMAGE_PIXELS)
    video_processor = Qwen2VLVideoProcessor(
        patch_size=14,
        merge_size=2,
        size={
            "shortest_edge": QWEN2_5_IMAGE_PIXELS["min_pixels"],
            "longest_edge": QWEN2_5_IMAGE_PIXELS["max_pixels"],
        },
    )
    processor = Qwen2_5_VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=QWEN_CHAT_TEMPLATE,
    )
    processor.save_pretrained(directory)
    return processor


# --- fastwam and lingbot_va (Wan2.2: UMT5 text encoder, Wan VAE) ----------------------------------


def unigram_tokenizer(directory: Path, vocab_size: int = 200) -> Any:
    """A Unigram tokenizer saved as T5TokenizerFast: UMT5's tokenizer class rejects a BPE model."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import T5TokenizerFast

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    fast = T5TokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", extra_ids=0
    )
    directory.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(directory)
    return fast


def umt5_encoder(directory: Path, tokenizer: Any, d_model: int = 32) -> Any:
    from transformers import UMT5Config, UMT5EncoderModel

    config = UMT5Config(
        vocab_size=len(tokenizer),
        d_model=d_model,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_heads=2,
        relative_attention_num_buckets=8,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        dtype="float32",
    )
    model = UMT5EncoderModel(config)
    model.save_pretrained(directory)
    return model


WAN_Z_DIM = 48  # FastWAM's WanVideoVAE38 and LingBot-VA both hard-code the Wan2.2 latent size


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


def fastwam(root: Path, hub_cache: Path) -> dict[str, Any]:
    from lerobot.policies.fastwam.configuration_fastwam import WAN22_DIFFUSERS_MODEL_ID

    # The VAE always loads from the hard-coded Wan2.2 diffusers repo (wan.components.load_pretrained_wan_vae).
    wan_vae(fake_snapshot(hub_cache, WAN22_DIFFUSERS_MODEL_ID) / "vae")
    text = root / "umt5"
    tokenizer = unigram_tokenizer(text)
    text_dim = 32
    umt5_encoder(text / "text_encoder", tokenizer, d_model=text_dim)
    heads, head_dim, layers = 2, 16, 1
    video = {
        "patch_size": [1, 2, 2],
        "in_dim": WAN_Z_DIM,
        "hidden_dim": heads * head_dim,
        "ffn_dim": 64,
        "freq_dim": 32,
        "text_dim": text_dim,
        "out_dim": WAN_Z_DIM,
        "num_heads": heads,
        "attn_head_dim": head_dim,
        "num_layers": layers,
        "eps": 1.0e-6,
        "seperated_timestep": True,
        "video_attention_mask_mode": "first_frame_causal",
        "action_conditioned": False,
        "action_dim": 4,
        "action_group_causal_mask_mode": "group_diagonal",
    }
    action = {
        "action_dim": 4,
        "hidden_dim": heads * head_dim,
        "ffn_dim": 64,
        "num_heads": heads,
        "attn_head_dim": head_dim,
        "num_layers": layers,
        "text_dim": text_dim,
        "freq_dim": 32,
        "eps": 1.0e-6,
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
    text_dim = 32
    umt5_encoder(wan / "text_encoder", tokenizer, d_model=text_dim)
    wan_vae(wan / "vae")
    return {
        "wan_pretrained_path": str(wan),
        "num_attention_heads": 2,
        "attention_head_dim": 24,  # its 3-axis RoPE needs head_dim // 3 and the rest both even
        "in_channels": WAN_Z_DIM,
        "out_channels": WAN_Z_DIM,
        "action_dim": 4,
        "used_action_channel_ids": [0, 1, 2, 3],
        "text_dim": text_dim,
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


# --- pi0, pi05, pi0_fast (PaliGemma) --------------------------------------------------------------

PALIGEMMA_REPO_ID = "google/paligemma-3b-pt-224"  # pi0's and pi05's processors hard-code it
PALIGEMMA_VOCAB = 512  # the tiny PaliGemma's vocabulary: exactly the tiny tokenizer's
PI_IMAGE_SIZE = 32  # SigLIP at patch 16: four image tokens per camera


def byte_tokenizer(directory: Path, size: int, specials: Sequence[str] = ()) -> Any:
    """A byte-level tokenizer of exactly ``size`` entries and no merges (PaliGemma-like: spare ids on top).

    pi0_fast maps FAST action tokens onto the top of the text vocabulary (``vocab_size - 1 - skip -
    token``), so the tokenizer's ``vocab_size`` must equal the model's embedding count.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    names = ["<pad>", "<eos>", "<bos>", "<unk>", *specials, *pre_tokenizers.ByteLevel.alphabet()]
    names += [f"<unused{index}>" for index in range(size - len(names))]
    assert len(names) == size, f"{len(names)} base tokens do not fit in {size}"
    tokenizer = Tokenizer(
        models.BPE(vocab={name: i for i, name in enumerate(names)}, merges=[], unk_token="<unk>")
    )
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>", unk_token="<unk>"
    )
    directory.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(directory)
    assert fast.vocab_size == len(fast) == size
    return fast


def paligemma_tokenizer(directory: Path) -> Any:
    tokenizer = byte_tokenizer(directory, PALIGEMMA_VOCAB)
    # AutoTokenizer reads the repo's config.json before its tokenizer files.
    (directory / "config.json").write_text('{"model_type": "paligemma"}')
    return tokenizer


def fast_action_tokenizer(directory: Path, chunk_size: int, action_dim: int, vocab_size: int = 128) -> None:
    """A FAST action tokenizer (DCT + BPE) fitted on random chunks, loadable as remote code.

    The processor class is LeRobot's own FAST implementation (vendored for molmoact2); a one-line module
    beside the files re-exports it, and processor_config.json's auto_map names that module, as the hub's
    physical-intelligence/fast repository does with its own copy.
    """
    import json

    import numpy as np
    from lerobot.policies.molmoact2.molmoact2_hf_model.action_tokenizer import UniversalActionProcessor

    rng = np.random.default_rng(0)
    chunks = [rng.normal(scale=0.5, size=(chunk_size, action_dim)) for _ in range(64)]
    processor = UniversalActionProcessor.fit(chunks, scale=10, vocab_size=vocab_size)
    # The tokenizer and processor_config.json by hand: once AutoProcessor has loaded the class as remote
    # code, ProcessorMixin.save_pretrained would try to copy the class's own module and its imports.
    processor.tokenizer.save_pretrained(directory)
    module = "processing_action_tokenizer"
    (directory / f"{module}.py").write_text(
        "from lerobot.policies.molmoact2.molmoact2_hf_model.action_tokenizer import UniversalActionProcessor\n\n"
        '__all__ = ["UniversalActionProcessor"]\n'
    )
    config = {
        "processor_class": "UniversalActionProcessor",
        "auto_map": {"AutoProcessor": f"{module}.UniversalActionProcessor"},
        "scale": processor.scale,
        "vocab_size": processor.vocab_size,
        "min_token": processor.min_token,
    }
    (directory / "processor_config.json").write_text(json.dumps(config, indent=2))


PI_COMMON = {
    "chunk_size": 4,
    "n_action_steps": 4,
    "max_state_dim": 8,
    "max_action_dim": 8,
    "image_resolution": (PI_IMAGE_SIZE, PI_IMAGE_SIZE),
}


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
    fast_action_tokenizer(action, chunk_size=PI_COMMON["chunk_size"], action_dim=4)
    return {
        **PI_COMMON,
        "text_tokenizer_name": str(text),
        "action_tokenizer_name": str(action),
        "tokenizer_max_length": 48,
        "max_action_tokens": 16,
        "max_decoding_steps": 8,
        "validate_action_token_prefix": False,  # random weights never say "Action:"
    }


# --- eo1 ------------------------------------------------------------------------------------------


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


# --- evo1 -----------------------------------------------------------------------------------------


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


# --- groot ----------------------------------------------------------------------------------------


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


# --- molmoact2 ------------------------------------------------------------------------------------


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


# --- multi_task_dit -------------------------------------------------------------------------------


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


# --- smolvla --------------------------------------------------------------------------------------


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
        directory, specials=list(image_tokens.values()), extra={"extra_special_tokens": image_tokens}
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


# --- vla_jepa -------------------------------------------------------------------------------------


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


# --- wall_x ---------------------------------------------------------------------------------------


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


# --- xvla -----------------------------------------------------------------------------------------


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


# --- the registry ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TinyPolicy:
    """How to build one policy tiny: its assets (config kwargs) and the dataset shape it needs."""

    build: Any  # (assets_root, hub_cache) -> config keyword arguments
    dataset: DatasetSpec = DatasetSpec()
    patch: Any = None  # name of a conftest fixture that patches hard-coded sizes, if any


def _without_hub(builder: Any) -> Any:
    return lambda root, hub_cache: builder(root)


POLICIES: dict[str, TinyPolicy] = {
    "eo1": TinyPolicy(_without_hub(eo1)),
    "evo1": TinyPolicy(_without_hub(evo1)),
    "fastwam": TinyPolicy(fastwam),
    "groot": TinyPolicy(groot),
    "lingbot_va": TinyPolicy(_without_hub(lingbot_va)),
    "molmoact2": TinyPolicy(_without_hub(molmoact2)),
    "multi_task_dit": TinyPolicy(_without_hub(multi_task_dit)),
    "pi0": TinyPolicy(pi0, patch="tiny_paligemma"),
    "pi05": TinyPolicy(pi05, patch="tiny_paligemma"),
    "pi0_fast": TinyPolicy(_without_hub(pi0_fast), patch="tiny_paligemma"),
    "smolvla": TinyPolicy(_without_hub(smolvla)),
    "vla_jepa": TinyPolicy(_without_hub(vla_jepa)),
    "wall_x": TinyPolicy(_without_hub(wall_x)),
    "xvla": TinyPolicy(_without_hub(xvla)),
}

# Datasets whose feature names or shapes a config reads while make_policy builds it (its
# set_dataset_feature_metadata hook, action_feature_names): name -> (policy type, dataset, overrides).
DATASET_METADATA_CASES: dict[str, tuple[str, DatasetSpec, dict[str, Any]]] = {
    # MolmoAct2 leaves dimensions named "gripper" unnormalised (processor_molmoact2._add_gripper_masks_to_stats).
    "molmoact2-gripper": ("molmoact2", DatasetSpec(gripper=True), {}),
    # FastWAM declares each camera at image_size, whatever the dataset records (64x64 here).
    "fastwam-camera-size": ("fastwam", DatasetSpec(), {"image_size": (32, 32)}),
}
