"""Reading and checking saved policies: LeRobot pretrained directories and Lightning checkpoints.

Every check runs before anything is built, so bad input fails with the file and the problem named
and leaves nothing half-loaded.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import draccus
import torch
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.constants import POLICY_POSTPROCESSOR_DEFAULT_NAME, POLICY_PREPROCESSOR_DEFAULT_NAME
from safetensors import safe_open

# Written beside LeRobot's files by `save_pretrained`; LeRobot's loaders ignore it.
PROVENANCE_FILE = "getiaction.json"
# Under this key a Lightning checkpoint holds what its state dict cannot.
CHECKPOINT_KEY = "getiaction"
PROCESSOR_FILES = (f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json", f"{POLICY_POSTPROCESSOR_DEFAULT_NAME}.json")


def lerobot_version() -> str:
    return importlib.metadata.version("lerobot")


def check_lerobot_version(saved: object, where: str) -> None:
    """Refuse files written by another LeRobot minor release: its configs and weights differ."""
    installed = lerobot_version()
    if saved is None:
        return
    if not isinstance(saved, str) or saved.split(".")[:2] != installed.split(".")[:2]:
        raise ValueError(
            f"{where} was saved with lerobot {saved}, but lerobot {installed} is installed: its policy configs "
            "and weights are not compatible. Load it with that LeRobot version, or retrain."
        )


def write_provenance(directory: Path, policy_type: str) -> None:
    from getiaction import __version__

    record = {
        "policy_type": policy_type,
        "lerobot_version": lerobot_version(),
        "getiaction_version": __version__,
    }
    (directory / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def read_pretrained_config(source: str, revision: str | None) -> PreTrainedConfig:
    """The policy config of a LeRobot pretrained directory (or hub repo), checked file by file."""
    directory = Path(source)
    if not directory.is_dir():
        if directory.exists() or not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", source):
            raise FileNotFoundError(f"{source}: no such pretrained directory (nor a hub repo id)")
        return _read_hub_config(source, revision)
    config_file = directory / CONFIG_NAME
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file}: missing; {directory} is not a LeRobot pretrained directory")
    for name in (SAFETENSORS_SINGLE_FILE, *PROCESSOR_FILES):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name}: missing from the LeRobot pretrained directory")
    provenance = directory / PROVENANCE_FILE
    if provenance.is_file():
        check_lerobot_version(_json(provenance).get("lerobot_version"), str(directory))
    _check_safetensors(directory / SAFETENSORS_SINGLE_FILE)
    return _decode_config(config_file, _json(config_file))


def _read_hub_config(repo_id: str, revision: str | None) -> PreTrainedConfig:
    from huggingface_hub import hf_hub_download

    try:
        config_file = Path(hf_hub_download(repo_id=repo_id, filename=CONFIG_NAME, revision=revision))
    except Exception as error:
        raise FileNotFoundError(
            f"{repo_id}: cannot read {CONFIG_NAME} from the Hugging Face hub ({error})"
        ) from error
    return _decode_config(config_file, _json(config_file))


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable JSON file ({error})") from error
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _decode_config(path: Path, data: dict[str, Any]) -> PreTrainedConfig:
    policy_type = data.pop("type", None)
    known = sorted(PreTrainedConfig.get_known_choices())
    if policy_type not in known:
        raise ValueError(
            f"{path}: policy type {policy_type!r} is not one lerobot {lerobot_version()} knows ({known})"
        )
    config_class = PreTrainedConfig.get_choice_class(policy_type)
    try:
        config: PreTrainedConfig = draccus.decode(config_class, data)
    except draccus.utils.DecodingError as error:
        raise ValueError(
            f"{path}: does not fit lerobot {lerobot_version()}'s {config_class.__name__} (saved with another "
            f"LeRobot version?): {error}"
        ) from error
    except draccus.utils.ParsingError as error:
        raise ValueError(
            f"{path}: {config_class.__name__} rejected it: {error.__cause__ or error}"
        ) from error
    return config


def _check_safetensors(path: Path) -> None:
    try:
        with safe_open(str(path), framework="pt") as handle:
            handle.keys()
    except Exception as error:
        raise ValueError(f"{path}: not a readable safetensors file ({error})") from error


def read_checkpoint_header(path: Path) -> Mapping[str, Any]:
    """What getiaction stored in a Lightning checkpoint, read without executing pickled code."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as error:
        raise ValueError(f"{path}: not a readable checkpoint ({type(error).__name__}: {error})") from error
    saved = checkpoint.get(CHECKPOINT_KEY) if isinstance(checkpoint, Mapping) else None
    if not isinstance(saved, Mapping):
        raise ValueError(f"{path}: not a getiaction checkpoint (no {CHECKPOINT_KEY!r} entry)")
    check_lerobot_version(saved.get("lerobot_version"), str(path))
    return saved
