"""Every Python block of the README runs as written, in order, in one process.

Hub ids are swapped by one documented mechanism, LeRobot's and torch's own caches: ``HF_LEROBOT_HOME`` holds
tiny local datasets named ``lerobot/pusht`` and ``my-user/pick-place`` (LeRobot reads a dataset from there before
it would download it), and
``TORCH_HOME`` holds random-weight stand-ins for torchvision's pretrained backbones (torch loads a cached file
without downloading it). Nothing in the README is edited for the test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
from plugin_fixture import generate, importable, write_plugin

README = Path(__file__).parent.parent / "README.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def make_pusht_stand_in(
    home: Path, repo_id: str = "lerobot/pusht", camera: str = "observation.image"
) -> None:
    """A 2-episode dataset with PushT's features (96x96 camera, 2-d state and action), named lerobot/pusht
    (or the README's "your own recordings", whose camera is named otherwise)."""
    from getiaction._lerobot.compat import LeRobotDataset

    features = {
        camera: {
            "dtype": "image",
            "shape": (96, 96, 3),
            "names": ["height", "width", "channels"],
        },
        "observation.state": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
        "action": {"dtype": "float32", "shape": (2,), "names": ["x", "y"]},
    }
    rng = np.random.default_rng(0)
    dataset = LeRobotDataset.create(repo_id, fps=10, features=features, root=home / repo_id, use_videos=False)
    for _ in range(2):
        for _ in range(10):
            dataset.add_frame(
                {
                    camera: rng.integers(0, 256, size=(96, 96, 3), dtype=np.uint8),
                    "observation.state": rng.uniform(0, 512, size=2).astype(np.float32),
                    "action": rng.uniform(0, 512, size=2).astype(np.float32),
                    "task": "Push the T-shaped block onto the T-shaped target.",
                }
            )
        dataset.save_episode()
    dataset.finalize()


def make_backbone_stand_ins(torch_home: Path) -> None:
    """torchvision's ResNet18 ImageNet weights, as torch caches them, with random values."""
    import torch
    import torchvision

    url = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.url
    checkpoints = torch_home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(torchvision.models.resnet18().state_dict(), checkpoints / url.rsplit("/", 1)[1])


def test_readme_has_python_blocks() -> None:
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4 and any("from_dataset" in block for block in blocks)


def test_every_python_block_of_the_readme_runs(tmp_path: Path) -> None:
    make_pusht_stand_in(tmp_path / "lerobot_home")
    make_pusht_stand_in(tmp_path / "lerobot_home", "my-user/pick-place", camera="observation.images.top")
    make_backbone_stand_ins(tmp_path / "torch_home")
    # "Your own policy": the toy plugin installed, its package generated as the README's command does.
    site = write_plugin(tmp_path / "site")
    with importable(site):
        assert generate(tmp_path / "project", package="mypkg.policies", output="src/mypkg/policies") == 0
    script = tmp_path / "readme.py"
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    script.write_text("\n\n".join(blocks), encoding="utf-8")
    environment = {
        **os.environ,
        "HF_LEROBOT_HOME": str(tmp_path / "lerobot_home"),
        "TORCH_HOME": str(tmp_path / "torch_home"),
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PYTHONPATH": os.pathsep.join([str(site), str(tmp_path / "project" / "src")]),
    }
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(
        [sys.executable, str(script)], cwd=work, env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert (work / "outputs" / "readme" / "my_act" / "model.safetensors").is_file()
    assert (work / "outputs" / "readme" / "my_act_lora" / "adapter_model.safetensors").is_file()
    assert (work / "outputs" / "readme" / "my_toy" / "model.safetensors").is_file()
