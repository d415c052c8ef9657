"""Fake Hugging Face hub-cache snapshots, only for the repo ids LeRobot hard-codes with no config field.

``google/paligemma-3b-pt-224`` (pi0, pi05), ``nvidia/Cosmos-Reason2-2B`` (groot) and
``Wan-AI/Wan2.2-TI2V-5B-Diffusers`` (fastwam) are written into a temp hub cache, where ``huggingface_hub``
resolves them offline.
"""

from __future__ import annotations

from pathlib import Path

SNAPSHOT_REVISION = "0" * 40


def fake_snapshot(hub_cache: Path, repo_id: str) -> Path:
    """The directory ``huggingface_hub`` resolves ``repo_id`` to, offline, under ``hub_cache``."""
    repo = hub_cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / SNAPSHOT_REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(SNAPSHOT_REVISION)
    return snapshot
