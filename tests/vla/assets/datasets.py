"""The tiny image datasets the VLA-type policies train on: their shape (``DatasetSpec``) and recording."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


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

    def vector(self, prefix: str, size: int) -> dict[str, Any]:
        return {"dtype": "float32", "shape": (size,), "names": self.names(prefix, size)}

    def features(self) -> dict[str, dict[str, Any]]:
        height, width = self.image_size
        features: dict[str, dict[str, Any]] = {
            "observation.state": self.vector("s", self.state_dim),
            "action": self.vector("j", self.action_dim),
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
