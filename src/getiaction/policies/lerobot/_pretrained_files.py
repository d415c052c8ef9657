"""LeRobot's pretrained directories (a local save, a ``lerobot-train`` checkpoint, a hub repo), read and
checked file by file before anything is built, and weights that do not fit their config named."""

from __future__ import annotations

import hashlib
import json
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import draccus
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from lerobot.configs.policies import PreTrainedConfig
from safetensors import safe_open

from getiaction._lerobot.version import lerobot_version
from getiaction.errors import ConfigError, SavedPolicyError
from getiaction.policies.lerobot._config import decode_config, plain_fields
from getiaction.policies.lerobot._peft import ADAPTER_CONFIG, ADAPTER_WEIGHTS
from getiaction.policies.lerobot._saved_files import (
    PROCESSOR_FILES,
    PROVENANCE_FILE,
    check_lerobot_version,
    config_class_for,
)


def read_pretrained_config(source: str, revision: str | None) -> PreTrainedConfig:
    """The policy config of a LeRobot pretrained directory (or hub repo), checked file by file."""
    directory = Path(source)
    if not directory.is_dir():
        previous = previous_saves(directory)
        # "outputs/act" reads like a repo id too: a path whose parent is a local directory, or beside
        # which an interrupted save left its previous version, is a local path.
        local = (
            directory.exists() or bool(previous) or (directory.parent != Path() and directory.parent.is_dir())
        )
        if local or not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", source):
            hint = f"; an interrupted save left the previous version in {previous[0]}" if previous else ""
            raise FileNotFoundError(f"{source}: no such pretrained directory (nor a hub repo id){hint}")
        return _read_hub_config(source, revision)
    left = leftovers(directory)
    if left:
        warnings.warn(
            f"{directory}: killed saves left {', '.join(path.name for path in left)} beside it; the directory "
            "itself is a complete save, and the next save_pretrained into it removes them",
            stacklevel=3,
        )
    config_file = directory / CONFIG_NAME
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file}: missing; {directory} is not a LeRobot pretrained directory")
    data = _json(config_file)
    # A PEFT save holds the adapter (over the base policy its adapter config names) instead of weights.
    weights = (ADAPTER_CONFIG, ADAPTER_WEIGHTS) if data.get("use_peft") else (SAFETENSORS_SINGLE_FILE,)
    for name in (*weights, *PROCESSOR_FILES):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name}: missing from the LeRobot pretrained directory")
    _check_safetensors(directory / weights[-1])
    provenance = directory / PROVENANCE_FILE
    if provenance.is_file():
        _check_provenance(directory, _json(provenance), data.get("type"))
    return _decode_saved_config(config_file, data)


def _check_provenance(directory: Path, record: dict[str, Any], config_type: object) -> None:
    provenance = directory / PROVENANCE_FILE
    check_lerobot_version(record.get("lerobot_version"), str(directory))
    if record.get("policy_type") != config_type:
        raise SavedPolicyError(
            f"{provenance}: records a {record.get('policy_type')!r} policy, but {CONFIG_NAME} holds {config_type!r}; "
            "the directory mixes two saves"
        )
    files = record.get("files", {})
    for name, digest in sorted(files.items()) if isinstance(files, Mapping) else ():
        path = directory / name
        if not path.is_file() or digest_of(path) != digest:
            raise SavedPolicyError(
                f"{path}: {'missing' if not path.is_file() else 'changed'} since getiaction saved this directory "
                f"(recorded in {provenance}); its files no longer belong to one save"
            )


def _read_hub_config(repo_id: str, revision: str | None) -> PreTrainedConfig:
    from huggingface_hub import hf_hub_download

    try:
        config_file = Path(hf_hub_download(repo_id=repo_id, filename=CONFIG_NAME, revision=revision))
    except Exception as error:
        raise FileNotFoundError(
            f"{repo_id}: cannot read {CONFIG_NAME} from the Hugging Face hub ({error})"
        ) from error
    return _decode_saved_config(config_file, _json(config_file))


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SavedPolicyError(f"{path}: not a readable JSON file ({error})") from error
    if not isinstance(data, dict):
        raise SavedPolicyError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def _decode_saved_config(path: Path, data: dict[str, Any]) -> PreTrainedConfig:
    fields = dict(data)
    config_class = config_class_for(fields.pop("type", None), str(path))
    try:
        return decode_config(config_class, fields, subject=str(path))
    except ConfigError as error:
        if isinstance(error.__cause__, draccus.utils.DecodingError):
            raise SavedPolicyError(
                f"{path}: does not fit lerobot {lerobot_version()}'s {config_class.__name__} (saved with another "
                f"LeRobot version?): {error.__cause__}"
            ) from error
        raise SavedPolicyError(str(error)) from error


def _check_safetensors(path: Path) -> None:
    try:
        with safe_open(str(path), framework="pt") as handle:
            handle.keys()
    except Exception as error:
        raise SavedPolicyError(f"{path}: not a readable safetensors file ({error})") from error


def digest_of(path: Path) -> str:
    """What provenance records of a saved file: a digest of a small file, the size of the weights.
    (Hashing gigabytes of weights on every load costs too much.)"""
    if path.name in (SAFETENSORS_SINGLE_FILE, ADAPTER_WEIGHTS):
        return f"size:{path.stat().st_size}"
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def weights_mismatch(
    error: RuntimeError, weights: str, changed: Mapping[str, Any]
) -> SavedPolicyError | None:
    """A readable error for torch's ``size mismatch`` when ``weights`` do not fit the policy built from its
    config (and the fields the caller ``changed``), or None for any other error."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip().startswith("size mismatch for")]
    if not lines:
        return None
    shown = "; ".join(line.removeprefix("size mismatch for ").rstrip(".") for line in lines[:3])
    more = f" (and {len(lines) - 3} more)" if len(lines) > 3 else ""
    cause = (
        f"these config fields differ from the saved ones and change the model's shapes: "
        f"{', '.join(f'{k}={v!r}' for k, v in sorted(changed.items()))}"
        if changed
        else "the config and the weights come from different policies (an edited config, swapped weights)"
    )
    return SavedPolicyError(
        f"{weights}: the weights do not fit the policy built from its config: {shown}{more}; {cause}"
    )


@contextmanager
def readable_weight_mismatch(config: PreTrainedConfig) -> Iterator[None]:
    """Loading ``config.pretrained_path``'s weights into a policy of other shapes: an error naming the file,
    the tensors, and the config fields that differ from the saved ``config.json``."""
    try:
        yield
    except RuntimeError as error:
        source = Path(str(config.pretrained_path)) if config.pretrained_path else None
        if source is None:
            raise
        readable = weights_mismatch(
            error, str(source / SAFETENSORS_SINGLE_FILE), _changed_fields(config, source)
        )
        if readable is None:
            raise
        raise readable from error


def _changed_fields(config: PreTrainedConfig, source: Path) -> dict[str, Any]:
    """The fields of ``config`` whose values differ from those saved in ``source/config.json``."""
    saved_file = source / CONFIG_NAME
    if not saved_file.is_file():
        return {}
    try:
        saved = json.loads(saved_file.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    current = plain_fields(config)
    ignored = {"pretrained_path", "pretrained_revision", "device", "use_peft", "push_to_hub", "repo_id"}
    return {
        name: value
        for name, value in current.items()
        if name in saved and name not in ignored and saved[name] != value
    }


STAGING, PREVIOUS = "saving", "previous"  # what a save puts beside its target, until it is done


def aside_prefix(target: Path, kind: str) -> str:
    """The name a save of ``target`` gives what it puts beside it (``kind``: STAGING or PREVIOUS)."""
    return f".{target.name}.{kind}-"


def previous_saves(target: Path) -> list[Path]:
    """Previous saves of ``target`` moved aside by saves that were killed before removing them."""
    return sorted(target.parent.glob(f"{aside_prefix(target, PREVIOUS)}*"))


def leftovers(target: Path) -> list[Path]:
    """What killed saves of ``target`` left beside it: staging directories and moved-aside previous saves."""
    return sorted([*target.parent.glob(f"{aside_prefix(target, STAGING)}*"), *previous_saves(target)])
