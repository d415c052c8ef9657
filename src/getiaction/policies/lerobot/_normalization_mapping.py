"""A ``normalization_mapping`` as LeRobot's processors read it: FeatureType names to NormalizationMode names.

LeRobot looks each feature's type up in the mapping (``NormalizerProcessorStep``), so a key that is no
feature type (``"BOGUS"``, ``"visual"``) fails 18 frames deep, and a key left out silently leaves its
features unnormalised. Both are refused here, naming the key and the fix; a key left out is refused
only for a user's own mapping, and only for feature types the policy has (ACTION always).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from enum import Enum
from typing import Any

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType, NormalizationMode

from getiaction.errors import ConfigError, did_you_mean
from getiaction.policies.lerobot._features import declared_features

_FEATURE_TYPES = [member.value for member in FeatureType]
_MODES = [member.value for member in NormalizationMode]


def check_normalization_mapping(
    config_class: type[PreTrainedConfig], fields: Mapping[str, Any], *, subject: str
) -> None:
    """A ``normalization_mapping`` given in ``fields`` maps FeatureType names (or members) to
    NormalizationMode names (or members), as LeRobot's processors look them up."""
    mapping = fields.get("normalization_mapping")
    if not isinstance(mapping, Mapping):
        return  # None, absent, or of the wrong type (which decoding names)
    for key, mode in mapping.items():
        if _name(key) not in _FEATURE_TYPES:
            raise ConfigError(
                f"{subject}: normalization_mapping key {key!r} is not a feature type."
                f"{_hint(key, _FEATURE_TYPES)} Its keys are FeatureType names: {', '.join(_FEATURE_TYPES)}"
            )
        if isinstance(mode, str) and _name(mode) not in _MODES:
            raise ConfigError(
                f"{subject}: normalization_mapping[{_name(key)!r}] = {mode!r} is not a normalisation mode."
                f"{_hint(mode, _MODES)} Its values are NormalizationMode names: {', '.join(_MODES)}"
            )


# Set on a config decoded from a user's parameters: the default mapping's keys their mapping left out.
_DROPPED = "_getiaction_dropped_normalization"


def dropped_keys(
    config_class: type[PreTrainedConfig], fields: Mapping[str, Any], *, subject: str
) -> list[str]:
    """Keys of the policy's default mapping that a user's ``normalization_mapping`` leaves out; ACTION, which
    every policy has, is refused at once (before TDMPC's own config reads it), the others by
    ``note_dropped_keys`` for the feature types the policy has: a dropped key silently leaves those
    features unnormalised. Only a user's parameters are checked so: a saved config loads as it was trained.
    """
    check_normalization_mapping(config_class, fields, subject=subject)  # its keys and values first
    mapping = fields.get("normalization_mapping")
    if not isinstance(mapping, Mapping):
        return []
    given = {_name(key) for key in mapping}
    dropped = [key for key in _default_mapping(config_class) if key not in given]
    if FeatureType.ACTION.value in dropped:
        _refuse(config_class, FeatureType.ACTION.value, [], subject)
    return dropped


def note_dropped_keys(config: PreTrainedConfig, dropped: list[str], *, subject: str) -> None:
    """Keep ``dropped_keys``' answer on the decoded ``config`` and check it against its features."""
    setattr(config, _DROPPED, dropped)
    check_dropped_keys(config, subject=subject)


def check_dropped_keys(config: PreTrainedConfig, *, subject: str) -> None:
    """Refuse a dropped default key (``note_dropped_keys``) for which the config has features."""
    features = declared_features(config)
    for key in getattr(config, _DROPPED, []):
        named = sorted(name for name, feature in features.items() if feature.type.value == key)
        if named:
            _refuse(type(config), key, named, subject)


def _refuse(config_class: type[PreTrainedConfig], key: str, features: list[str], subject: str) -> None:
    default = _default_mapping(config_class)[key]
    which = f" ({', '.join(features)})" if features else ""
    raise ConfigError(
        f"{subject}: normalization_mapping has no {key!r}, which {config_class.__name__}'s default maps to "
        f"{default}: without it, the {key} features{which} would silently not be normalised. Add {key!r}: "
        f"{default!r} for the default, or {key!r}: 'IDENTITY' to leave them unnormalised"
    )


def _name(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _hint(given: object, names: list[str]) -> str:
    text = _name(given).removeprefix("FeatureType.").removeprefix("NormalizationMode.")
    same = [name for name in names if name.lower() == text.lower()]
    return f" Did you mean: {same[0]}?" if same else did_you_mean(text.upper(), names)


@functools.cache
def _default_mapping(config_class: type[PreTrainedConfig]) -> dict[str, str]:
    for field in dataclasses.fields(config_class):
        if field.name == "normalization_mapping" and field.default_factory is not dataclasses.MISSING:
            return {_name(key): _name(mode) for key, mode in field.default_factory().items()}
    return {}
