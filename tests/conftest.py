"""Shared test configuration: offline, quiet, and a switch to rewrite golden files."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest

# Nothing may load from the Hugging Face hub at test time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/golden from the generator's current output instead of comparing",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def tiny_dataset_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A three-episode image dataset on local disk, recorded once per session."""
    from tiny import make_dataset

    return make_dataset(tmp_path_factory.mktemp("datasets") / "tiny")


@pytest.fixture(scope="session")
def tiny_meta(tiny_dataset_root: Path) -> Any:
    from tiny import REPO_ID

    from getiaction._lerobot.compat import LeRobotDatasetMetadata

    return LeRobotDatasetMetadata(REPO_ID, root=tiny_dataset_root)


@pytest.fixture(autouse=True)
def _quiet_upstream_device_warnings() -> None:
    # Every LeRobot config without a device logs that it falls back to CPU; say it once, not per test.
    logging.getLogger("lerobot.configs.policies").setLevel(logging.ERROR)


@pytest.fixture
def world(tiny_meta: Any, tiny_dataset_root: Path, tmp_path: Path) -> Any:
    """What the bad-input tables act in (tests/bad_input_world.py)."""
    from bad_input_world import World

    return World(tiny_meta, tiny_dataset_root, tmp_path)
