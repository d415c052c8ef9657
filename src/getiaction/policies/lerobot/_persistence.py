"""Saved policies: Lightning checkpoints and LeRobot's pretrained directories, read and written safely.

Reading checks every file before anything is built, so bad input fails with the file and the problem
named and nothing is half-loaded. Writing a pretrained directory is atomic: the files go to a sibling
staging directory, are flushed to disk, and only then replace the previous save, which survives
until the new one is complete.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import draccus
import torch
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.constants import POLICY_POSTPROCESSOR_DEFAULT_NAME, POLICY_PREPROCESSOR_DEFAULT_NAME
from safetensors import safe_open

from getiaction.errors import ConfigError, ConfigTypeError, SavedPolicyError, did_you_mean
from getiaction.policies.lerobot._config import decode_config, field_names, plain_fields
from getiaction.policies.lerobot._features import normalise_features

# Written beside LeRobot's files by `save_pretrained`; LeRobot's loaders ignore it.
PROVENANCE_FILE = "getiaction.json"
# Under this key a Lightning checkpoint holds what its state dict cannot.
CHECKPOINT_KEY = "getiaction"
# Lightning writes these into hyperparameters for its own use; they are not policy parameters.
LIGHTNING_HPARAMS = ("_class_path", "_instantiator")
PROCESSOR_FILES = (f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json", f"{POLICY_POSTPROCESSOR_DEFAULT_NAME}.json")
_PROCESSOR_PREFIXES = (POLICY_PREPROCESSOR_DEFAULT_NAME, POLICY_POSTPROCESSOR_DEFAULT_NAME)
# Files a pretrained save may hold; a directory with anything else is not ours to replace.
_SAVED_NAMES = frozenset(
    {CONFIG_NAME, SAFETENSORS_SINGLE_FILE, PROVENANCE_FILE, "README.md", "train_config.json"}
)


def lerobot_version() -> str:
    return importlib.metadata.version("lerobot")


def check_lerobot_version(saved: object, where: str) -> None:
    """Refuse files written by another LeRobot minor release: its configs and weights differ."""
    installed = lerobot_version()
    if saved is None:
        return
    if not isinstance(saved, str) or saved.split(".")[:2] != installed.split(".")[:2]:
        raise SavedPolicyError(
            f"{where} was saved with lerobot {saved}, but lerobot {installed} is installed: its policy configs "
            "and weights are not compatible. Load it with that LeRobot version, or retrain."
        )


# --- Lightning checkpoints ---------------------------------------------------------------------------


def read_checkpoint(path: Path, map_location: Any = None) -> dict[str, Any]:
    """A getiaction Lightning checkpoint, loaded without executing pickled code and checked."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise SavedPolicyError(
            f"{path}: not a readable checkpoint ({type(error).__name__}: {error})"
        ) from error
    saved = checkpoint.get(CHECKPOINT_KEY) if isinstance(checkpoint, Mapping) else None
    if not isinstance(saved, Mapping):
        raise SavedPolicyError(f"{path}: not a getiaction checkpoint (no {CHECKPOINT_KEY!r} entry)")
    check_lerobot_version(saved.get("lerobot_version"), str(path))
    if "stats" not in saved:
        # A checkpoint always records its statistics (None when trained without any); without the
        # entry the policy would run unnormalised without a word.
        raise SavedPolicyError(f"{path}: the {CHECKPOINT_KEY!r} entry has no 'stats'; the file was altered")
    return dict(checkpoint)


def checkpoint_config(
    checkpoint: Mapping[str, Any],
    path: Path,
    *,
    hparams_file: str | Path | None,
    overrides: Mapping[str, Any],
    owner: str,
) -> tuple[PreTrainedConfig, dict[str, Any]]:
    """The policy config a checkpoint's hyperparameters (and ``overrides``) describe, and those parameters.

    Hyperparameters this LeRobot's config does not have are an error naming the file (Lightning would
    drop them silently); an unknown override is an error naming it.
    """
    hparams: dict[str, Any] = dict(checkpoint.get("hyper_parameters") or {})
    if hparams_file is not None:
        from lightning.pytorch.core.saving import load_hparams_from_yaml

        hparams.update(load_hparams_from_yaml(str(hparams_file)))
    for key in LIGHTNING_HPARAMS:
        hparams.pop(key, None)
    config_class = config_class_for(checkpoint[CHECKPOINT_KEY].get("policy_type"), str(path))
    fields = set(field_names(config_class))
    unknown = sorted(set(hparams) - fields)
    if unknown:
        raise SavedPolicyError(
            f"{path}: hyperparameters {unknown} are not fields of lerobot {lerobot_version()}'s "
            f"{config_class.__name__} (written by another release, or altered)"
        )
    _refuse_unknown_overrides(overrides, fields, f"{owner}.load_from_checkpoint")
    hparams.update(overrides)
    return decode_config(config_class, normalise_features(hparams), owner=str(path)), hparams


def with_overrides(config: PreTrainedConfig, overrides: Mapping[str, Any], *, owner: str) -> PreTrainedConfig:
    """``config`` with some fields changed, decoded and checked again (the saved config as is without)."""
    if not overrides:
        return config
    _refuse_unknown_overrides(overrides, set(field_names(type(config))), owner)
    return decode_config(type(config), {**plain_fields(config), **overrides}, owner=owner)


def _refuse_unknown_overrides(overrides: Mapping[str, Any], fields: set[str], owner: str) -> None:
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigTypeError(
            f"{owner} got unknown config fields {unknown}.{did_you_mean(unknown[0], fields)}"
        )


# --- LeRobot's pretrained directories ------------------------------------------------------------


def write_pretrained(directory: Path, policy_type: str, write: Callable[[Path], None]) -> Path:
    """Run ``write(staging)``, then put the staged files at ``directory`` in one step.

    ``directory`` must be absent, empty, or an earlier pretrained save: replacing anything else would
    delete files that are not ours.
    """
    target = Path(directory)
    if target.exists():
        if not target.is_dir():
            raise SavedPolicyError(f"{target}: exists and is not a directory")
        foreign = sorted(path.name for path in target.iterdir() if not _is_saved_file(path.name))
        if foreign:
            raise SavedPolicyError(
                f"{target}: holds files a pretrained save does not write ({', '.join(foreign[:5])}); save into "
                "a new or empty directory, or an earlier save"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.saving-", dir=target.parent))
    try:
        write(staging)
        _write_provenance(staging, policy_type)
        _flush_tree(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        previous = target.parent / f".{target.name}.previous-{uuid.uuid4().hex[:8]}"
        os.rename(target, previous)
        os.rename(staging, target)
        shutil.rmtree(previous)
    else:
        os.rename(staging, target)
    _flush_directory(target.parent)
    return target


def _is_saved_file(name: str) -> bool:
    return name in _SAVED_NAMES or name.startswith(_PROCESSOR_PREFIXES)


def _write_provenance(directory: Path, policy_type: str) -> None:
    from getiaction import __version__

    record = {
        "policy_type": policy_type,
        "lerobot_version": lerobot_version(),
        "getiaction_version": __version__,
        # Digests of the small files and the size of the weights: a directory whose files come from
        # different saves is refused on load. (Hashing gigabytes of weights on every load costs too much.)
        "files": {path.name: _digest(path) for path in sorted(directory.iterdir()) if path.is_file()},
    }
    (directory / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _digest(path: Path) -> str:
    if path.name == SAFETENSORS_SINGLE_FILE:
        return f"size:{path.stat().st_size}"
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _flush_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _flush_directory(directory)


def _flush_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def read_pretrained_config(source: str, revision: str | None) -> PreTrainedConfig:
    """The policy config of a LeRobot pretrained directory (or hub repo), checked file by file."""
    directory = Path(source)
    if not directory.is_dir():
        if directory.exists() or not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", source):
            leftovers = sorted(directory.parent.glob(f".{directory.name}.previous-*"))
            hint = f"; an interrupted save left the previous version in {leftovers[0]}" if leftovers else ""
            raise FileNotFoundError(f"{source}: no such pretrained directory (nor a hub repo id){hint}")
        return _read_hub_config(source, revision)
    config_file = directory / CONFIG_NAME
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file}: missing; {directory} is not a LeRobot pretrained directory")
    for name in (SAFETENSORS_SINGLE_FILE, *PROCESSOR_FILES):
        if not (directory / name).is_file():
            raise FileNotFoundError(f"{directory / name}: missing from the LeRobot pretrained directory")
    data = _json(config_file)
    _check_safetensors(directory / SAFETENSORS_SINGLE_FILE)
    provenance = directory / PROVENANCE_FILE
    if provenance.is_file():
        _check_provenance(directory, _json(provenance), data.get("type"))
    return _decode_saved_config(config_file, data)


def _check_provenance(directory: Path, record: dict[str, Any], config_type: object) -> None:
    where = directory / PROVENANCE_FILE
    check_lerobot_version(record.get("lerobot_version"), str(directory))
    if record.get("policy_type") != config_type:
        raise SavedPolicyError(
            f"{where}: records a {record.get('policy_type')!r} policy, but {CONFIG_NAME} holds {config_type!r}; "
            "the directory mixes two saves"
        )
    files = record.get("files", {})
    for name, digest in sorted(files.items()) if isinstance(files, Mapping) else ():
        path = directory / name
        if not path.is_file() or _digest(path) != digest:
            raise SavedPolicyError(
                f"{path}: {'missing' if not path.is_file() else 'changed'} since getiaction saved this directory "
                f"(recorded in {where}); its files no longer belong to one save"
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


def config_class_for(policy_type: object, where: str) -> type[PreTrainedConfig]:
    """The config class LeRobot registers for a saved ``policy_type``, or an error naming ``where``."""
    known = sorted(PreTrainedConfig.get_known_choices())
    if policy_type not in known:
        raise SavedPolicyError(
            f"{where}: policy type {policy_type!r} is not one lerobot {lerobot_version()} knows ({known})"
        )
    config_class: type[PreTrainedConfig] = PreTrainedConfig.get_choice_class(str(policy_type))
    return config_class


def _decode_saved_config(path: Path, data: dict[str, Any]) -> PreTrainedConfig:
    fields = dict(data)
    config_class = config_class_for(fields.pop("type", None), str(path))
    try:
        return decode_config(config_class, fields, owner=str(path))
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
