"""Tiny, offline building blocks shared by the tests: a local dataset and small policy sizes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

REPO_ID = "local/tiny"
FPS = 10
IMAGE_SIZE = 64  # TDMPC's strided image encoder needs at least this

# Policies LeRobot builds offline on CPU, at sizes that keep a forward+backward well under a second.
# No pretrained backbones: they would be downloaded.
TINY_CONFIGS: dict[str, dict[str, Any]] = {
    "act": {
        "dim_model": 32,
        "n_heads": 2,
        "dim_feedforward": 64,
        "n_encoder_layers": 1,
        "n_decoder_layers": 1,
        "n_vae_encoder_layers": 1,
        "latent_dim": 8,
        "chunk_size": 4,
        "n_action_steps": 4,
        "pretrained_backbone_weights": None,
    },
    "diffusion": {
        "n_obs_steps": 2,
        "horizon": 8,
        "n_action_steps": 4,
        "drop_n_last_frames": 3,
        "down_dims": (16, 32),
        "kernel_size": 3,
        "n_groups": 4,
        "diffusion_step_embed_dim": 16,
        "spatial_softmax_num_keypoints": 8,
        "crop_shape": (56, 56),
        "use_group_norm": True,  # batch norm cannot size a 1x1 feature map from one dummy sample
        "num_train_timesteps": 20,
        "num_inference_steps": 4,
        "pretrained_backbone_weights": None,
    },
    "tdmpc": {
        "horizon": 2,
        "latent_dim": 8,
        "mlp_dim": 16,
        "q_ensemble_size": 2,
        "state_encoder_hidden_dim": 16,
        "image_encoder_hidden_dim": 8,
        "n_gaussian_samples": 8,
        "n_pi_samples": 4,
        "n_elites": 4,
        "cem_iterations": 2,
    },
    "vqbet": {
        "n_obs_steps": 2,
        "n_action_pred_token": 2,
        "action_chunk_size": 2,
        "crop_shape": (56, 56),
        "use_group_norm": True,
        "pretrained_backbone_weights": None,
        "spatial_softmax_num_keypoints": 8,
        "n_vqvae_training_steps": 1,
        "vqvae_n_embed": 4,
        "vqvae_embedding_dim": 8,
        "vqvae_enc_hidden_dim": 16,
        "gpt_block_size": 20,
        "gpt_input_dim": 16,
        "gpt_output_dim": 16,
        "gpt_n_layer": 1,
        "gpt_n_head": 2,
        "gpt_hidden_dim": 16,
    },
}

DATASET_FEATURES: dict[str, dict[str, Any]] = {
    "observation.state": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    "observation.image": {
        "dtype": "image",
        "shape": (IMAGE_SIZE, IMAGE_SIZE, 3),
        "names": ["height", "width", "channels"],
    },
    "action": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    "next.reward": {"dtype": "float32", "shape": (1,), "names": None},
}


def make_dataset(
    root: Path,
    episodes: int = 3,
    frames: int = 24,
    seed: int = 0,
    *,
    state_scale: float = 1.0,
    camera: str = "observation.image",
    state_size: int = 2,
) -> Path:
    """Record a small image dataset (no video: nothing to decode) and return its root.

    ``state_scale``, ``camera`` and ``state_size`` make the "new dataset" of a fine-tune: other
    statistics, a camera named otherwise, a state of another size.
    """
    from getiaction._lerobot.compat import LeRobotDataset

    features = {camera if key == "observation.image" else key: spec for key, spec in DATASET_FEATURES.items()}
    state_names = [f"s{i}" for i in range(state_size)] if state_size != 2 else ["x", "y"]
    features["observation.state"] = {"dtype": "float32", "shape": (state_size,), "names": state_names}
    rng = np.random.default_rng(seed)
    dataset = LeRobotDataset.create(REPO_ID, fps=FPS, features=features, root=root, use_videos=False)
    for _ in range(episodes):
        position = rng.uniform(-1, 1, size=2).astype(np.float32)
        for _ in range(frames):
            action = rng.normal(scale=0.1, size=2).astype(np.float32)
            image = rng.integers(0, 256, size=(IMAGE_SIZE, IMAGE_SIZE, 3), dtype=np.uint8)
            reward = np.array([-float(np.linalg.norm(position))], dtype=np.float32)
            state = np.resize(position * state_scale, state_size).astype(np.float32)
            dataset.add_frame(
                {
                    "observation.state": state,
                    camera: image,
                    "action": action,
                    "next.reward": reward,
                    "task": "reach the origin",
                }
            )
            position = position + action
        dataset.save_episode()
    dataset.finalize()
    return root
