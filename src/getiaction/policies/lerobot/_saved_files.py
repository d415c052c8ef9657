"""Lightning checkpoints, read and checked, and what every saved file shares (names, release, policy type).

Reading checks every file before anything is built, so bad input fails with the file and the problem
named and nothing is half-loaded. What a checkpoint holds beside Lightning's entries is one record type,
``CheckpointRecord``, read (and checked) in one place. LeRobot's pretrained directories are read in
``_pretrained_files``, written in ``_atomic_save``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from huggingface_hub.constants import CONFIG_NAME, SAFETENSORS_SINGLE_FILE
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.constants import POLICY_POSTPROCESSOR_DEFAULT_NAME, POLICY_PREPROCESSOR_DEFAULT_NAME
from torch import Tensor

from getiaction._lerobot.version import lerobot_version
from getiaction.errors import ConfigTypeError, SavedPolicyError
from getiaction.policies.lerobot import _registry
from getiaction.policies.lerobot._config import decode_config, field_names, plain_fields
from getiaction.policies.lerobot._features import converted_feature_fields
from getiaction.policies.lerobot._legacy_names import parameter_hint
from getiaction.policies.lerobot._options import WRAPPER_OPTIONS, WrapperOptions, split_wrapper_options
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


def read_checkpoint(
    path: Path, map_location: Any = None, *, mmap: bool = False
) -> tuple[dict[str, Any], CheckpointRecord]:
    """A getiaction Lightning checkpoint, loaded without executing pickled code, and its checked record
    (``mmap``: tensors mapped from the file, read only when used)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
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
    missing = sorted(fields - set(hparams) - set(overrides))
    if missing:
        # Lightning would build those fields from defaults, and the weights then would not fit them.
        what = "no hyperparameters" if not hparams else f"no hyperparameters {missing}"
        raise SavedPolicyError(
            f"{path}: holds {what} of its {config_class.__name__}; a getiaction checkpoint records every "
            "config field (the file was altered, or not written by getiaction)"
        )
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
            f"{subject} got unknown config fields {unknown}."
            f"{parameter_hint(unknown[0], fields, cls=subject.split('.')[0])}"
        )


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
