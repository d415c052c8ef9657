"""The wrapper-only parameters beside a policy's config: ``rename_map`` and ``peft``, as ``lerobot-train``
takes ``--rename_map`` and ``--peft.*`` beside ``--policy.*``; decoded once, plain in hyperparameters."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import draccus
from lerobot.configs.default import PeftConfig
from lerobot.utils.constants import OBS_PREFIX

from getiaction.errors import ConfigError, ConfigTypeError

# Wrapper-only parameters beside the config's fields (``stats`` aside, which checkpoints hold as tensors).
WRAPPER_OPTIONS = ("rename_map", "peft")


@dataclasses.dataclass(frozen=True)
class WrapperOptions:
    """The wrapper-only parameters, as lerobot-train takes them beside the policy config:
    ``--rename_map`` and ``--peft.*``. Plain values in hyperparameters, so checkpoints rebuild them."""

    rename_map: Mapping[str, str] = dataclasses.field(default_factory=dict)
    peft: PeftConfig | None = None

    @classmethod
    def decode(cls, parameters: Mapping[str, Any], *, subject: str) -> WrapperOptions:
        """From parameter values (``rename_map``: a str -> str mapping; ``peft``: a ``PeftConfig`` or
        its fields as a mapping, as YAML and hyperparameters hold it); absent or None: not used."""
        rename_map = parameters.get("rename_map") or {}
        if not isinstance(rename_map, Mapping) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in rename_map.items()
        ):
            raise ConfigTypeError(
                f"{subject}: rename_map maps dataset keys to the policy's keys (str -> str), got {rename_map!r}"
            )
        not_observations = sorted(
            f"{key!r}: {value!r}"
            for key, value in rename_map.items()
            if not (key.startswith(OBS_PREFIX) and value.startswith(OBS_PREFIX))
        )
        if not_observations:
            raise ConfigError(
                f"{subject}: rename_map renames observations (keys starting with {OBS_PREFIX!r}), as LeRobot's "
                f"rename step does; got {', '.join(not_observations)}"
            )
        peft = parameters.get("peft")
        if isinstance(peft, Mapping):
            try:
                peft = draccus.decode(PeftConfig, draccus.encode(dict(peft)))
            except (draccus.utils.DecodingError, draccus.utils.ParsingError) as error:
                raise ConfigError(f"{subject}: invalid value for peft: {error}") from error
        if peft is not None and not isinstance(peft, PeftConfig):
            raise ConfigTypeError(
                f"{subject}: peft expects a lerobot.configs.default.PeftConfig (or its fields as a mapping), "
                f"got {type(peft).__name__}"
            )
        return cls(dict(rename_map), peft)

    def plain(self) -> dict[str, Any]:
        """As plain JSON values, for hyperparameters and YAML."""
        peft = json.loads(json.dumps(draccus.encode(self.peft))) if self.peft is not None else None
        return {"rename_map": dict(self.rename_map) or None, "peft": peft}


def split_wrapper_options(parameters: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``parameters`` as (config fields, wrapper options)."""
    fields = {key: value for key, value in parameters.items() if key not in WRAPPER_OPTIONS}
    options = {key: value for key, value in parameters.items() if key in WRAPPER_OPTIONS}
    return fields, options
