"""Saved policies, read and checked: Lightning checkpoints and LeRobot's pretrained directories.

Reading checks every file before anything is built, so bad input fails with the file and the problem
named and nothing is half-loaded. What a checkpoint holds beside Lightning's entries is one record type,
``CheckpointRecord``, read (and checked) in one place. Writing lives in ``_atomic_save``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import draccus
import torch
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.constants import POLICY_POSTPROCESSOR_DEFAULT_NAME, POLICY_PREPROCESSOR_DEFAULT_NAME
from safetensors import safe_open
from torch import Tensor

from getiaction._lerobot.version import lerobot_version
from getiaction.errors import ConfigError, ConfigTypeError, SavedPolicyError, did_you_mean
from getiaction.policies.lerobot import _registry
from getiaction.policies.lerobot._config import (
    WRAPPER_OPTIONS,
    WrapperOptions,
    decode_config,
    field_names,
    plain_fields,
    split_wrapper_options,
)
from getiaction.policies.lerobot._features import converted_feature_fields
from getiaction.policies.lerobot._peft import ADAPTER_CONFIG, ADAPTER_WEIGHTS
from getiaction.policies.lerobot._stats import TensorStats

# Written beside LeRobot's files by `save_pretrained`; LeRobot's loaders ignore it.
PROVENANCE_FILE = "getiaction.json"
# Under this key a Lightning checkpoint holds what its state dict cannot.
CHECKPOINT_KEY = "getiaction"
# Written into hyperparameters to name the class (by Lightning, and by the universal wrapper holding a plugin's
# policy no generated package wraps); they are not policy parameters.
LIGHTNING_HPARAMS = ("_class_path", "_instantiator", "policy_name")
PROCESSOR_FILES = (f"{POLICY_PREPROCESSOR_DEFAULT_NAME}.json", f"{POLICY_POSTPROCESSOR_DEFAULT_NAME}.json")
PROCESSOR_PREFIXES = (POLICY_PREPROCESSOR_DEFAULT_NAME, POLICY_POSTPROCESSOR_DEFAULT_NAME)
# Files a pretrained save may hold; a directory with anything else is not ours to replace.
SAVED_NAMES = frozenset(
    {
        CONFIG_NAME,
        SAFETENSORS_SINGLE_FILE,
        ADAPTER_CONFIG,
        ADAPTER_WEIGHTS,
        PROVENANCE_FILE,
        "README.md",
        "train_config.json",
    }
)


def check_lerobot_version(saved: object, subject: str) -> None:
    """Refuse files written by another LeRobot minor release: its configs and weights differ."""
    installed = lerobot_version()
    if saved is None:
        return
    if not isinstance(saved, str) or saved.split(".")[:2] != installed.split(".")[:2]:
        raise SavedPolicyError(
            f"{subject} was saved with lerobot {saved}, but lerobot {installed} is installed: its policy configs "
            "and weights are not compatible. Load it with that LeRobot version, or retrain."
        )


@dataclass(frozen=True)
class CheckpointRecord:
    """What a getiaction Lightning checkpoint holds under ``CHECKPOINT_KEY``: plain values and tensors only,
    so the file loads with ``weights_only=True``. The RNG state makes a resumed run draw the same dropout
    masks and noise as an uninterrupted one."""

    policy_type: str
    lerobot_version: str
    stats: TensorStats | None  # None: trained without statistics
    rng_state: dict[str, Tensor] | None

    def to_checkpoint(self) -> dict[str, Any]:
        return {
            "policy_type": self.policy_type,
            "lerobot_version": self.lerobot_version,
            "stats": self.stats,
            "rng_state": self.rng_state,
        }

    @classmethod
    def read(cls, checkpoint: Mapping[str, Any], subject: str) -> CheckpointRecord:
        """The record of a loaded checkpoint, every check on it done here, once."""
        saved = checkpoint.get(CHECKPOINT_KEY)
        if not isinstance(saved, Mapping):
            raise SavedPolicyError(f"{subject}: not a getiaction checkpoint (no {CHECKPOINT_KEY!r} entry)")
        check_lerobot_version(saved.get("lerobot_version"), subject)
        if "stats" not in saved:
            # A checkpoint always records its statistics (None when trained without any); without the
            # entry the policy would run unnormalised without a word.
            raise SavedPolicyError(
                f"{subject}: the {CHECKPOINT_KEY!r} entry has no 'stats'; the file was altered"
            )
        policy_type = saved.get("policy_type")
        if not isinstance(policy_type, str):
            raise SavedPolicyError(
                f"{subject}: the {CHECKPOINT_KEY!r} entry names no policy type ({policy_type!r})"
            )
        return cls(policy_type, str(saved.get("lerobot_version")), saved["stats"], saved.get("rng_state"))


# --- Lightning checkpoints ---------------------------------------------------------------------------


def read_checkpoint(path: Path, map_location: Any = None) -> tuple[dict[str, Any], CheckpointRecord]:
    """A getiaction Lightning checkpoint, loaded without executing pickled code, and its checked record."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:
        raise SavedPolicyError(
            f"{path}: not a readable checkpoint ({type(error).__name__}: {error})"
        ) from error
    if not isinstance(checkpoint, Mapping):
        raise SavedPolicyError(f"{path}: not a getiaction checkpoint (holds a {type(checkpoint).__name__})")
    return dict(checkpoint), CheckpointRecord.read(checkpoint, str(path))


def checkpoint_config(
    checkpoint: Mapping[str, Any],
    record: CheckpointRecord,
    path: Path,
    *,
    hparams_file: str | Path | None,
    overrides: Mapping[str, Any],
    subject: str,
) -> tuple[PreTrainedConfig, WrapperOptions, dict[str, Any]]:
    """The policy config and wrapper options a checkpoint's hyperparameters (and ``overrides``) describe,
    and those parameters.

    Hyperparameters this LeRobot's config does not have are an error naming the file (Lightning would
    drop them silently); an unknown override is an error naming it.
    """
    hparams: dict[str, Any] = dict(checkpoint.get("hyper_parameters") or {})
    if hparams_file is not None:
        from lightning.pytorch.core.saving import load_hparams_from_yaml

        hparams.update(load_hparams_from_yaml(str(hparams_file)))
    for key in LIGHTNING_HPARAMS:
        hparams.pop(key, None)
    config_class = config_class_for(record.policy_type, str(path))
    fields = set(field_names(config_class))
    unknown = sorted(set(hparams) - fields - set(WRAPPER_OPTIONS))
    if unknown:
        raise SavedPolicyError(
            f"{path}: hyperparameters {unknown} are not fields of lerobot {lerobot_version()}'s "
            f"{config_class.__name__} (written by another release, or altered)"
        )
    _refuse_unknown_overrides(overrides, fields | set(WRAPPER_OPTIONS), f"{subject}.load_from_checkpoint")
    hparams.update(overrides)
    config_fields, options = split_wrapper_options(hparams)
    config = decode_config(config_class, converted_feature_fields(config_fields), subject=str(path))
    return config, WrapperOptions.decode(options, subject=str(path)), hparams


def with_overrides(
    config: PreTrainedConfig, overrides: Mapping[str, Any], *, subject: str
) -> tuple[PreTrainedConfig, WrapperOptions]:
    """``config`` with some fields changed, decoded and checked again (the saved config as is without), and
    the wrapper options among ``overrides``."""
    _refuse_unknown_overrides(overrides, set(field_names(type(config))) | set(WRAPPER_OPTIONS), subject)
    fields, options = split_wrapper_options(overrides)
    if fields:
        config = decode_config(type(config), {**plain_fields(config), **fields}, subject=subject)
    return config, WrapperOptions.decode(options, subject=subject)


def _refuse_unknown_overrides(overrides: Mapping[str, Any], fields: set[str], subject: str) -> None:
    unknown = sorted(set(overrides) - fields)
    if unknown:
        raise ConfigTypeError(
            f"{subject} got unknown config fields {unknown}.{did_you_mean(unknown[0], fields)}"
        )


# --- LeRobot's pretrained directories ------------------------------------------------------------


def read_pretrained_config(source: str, revision: str | None) -> PreTrainedConfig:
    """The policy config of a LeRobot pretrained directory (or hub repo), checked file by file."""
    directory = Path(source)
    if not directory.is_dir():
        leftovers = sorted(directory.parent.glob(f".{directory.name}.previous-*"))
        # "outputs/act" reads like a repo id too: a path whose parent is a local directory, or beside
        # which an interrupted save left its previous version, is a local path.
        local = (
            directory.exists()
            or bool(leftovers)
            or (directory.parent != Path() and directory.parent.is_dir())
        )
        if local or not re.fullmatch(r"[\w-][\w.-]*/[\w.-]+", source):
            hint = f"; an interrupted save left the previous version in {leftovers[0]}" if leftovers else ""
            raise FileNotFoundError(f"{source}: no such pretrained directory (nor a hub repo id){hint}")
        return _read_hub_config(source, revision)
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


def config_class_for(policy_type: object, subject: str) -> type[PreTrainedConfig]:
    """The config class LeRobot registers for a saved ``policy_type`` (installed plugins imported first, as
    LeRobot does), or an error naming ``subject`` and what to install."""
    config_class: type[PreTrainedConfig] | None = _registry.lerobot_config_class(str(policy_type))
    if config_class is None:
        known = _registry.lerobot_policy_types()
        raise SavedPolicyError(
            f"{subject}: policy type {policy_type!r} is not one lerobot {lerobot_version()} knows ({known})."
            + _registry.unknown_type_hint(str(policy_type))
        )
    return config_class


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
