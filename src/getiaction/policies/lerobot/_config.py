"""Wrapper parameters <-> LeRobot configs: decoding, validation, and the plain values checkpoints hold.

Decoding goes through draccus, as LeRobot's own parser does, so typed values (``NormalizationMode.MEAN_STD``)
and plain ones (``"MEAN_STD"``, as YAML and JSON hold them) are checked against the same annotations; enum
keys (``{FeatureType.STATE: ...}``) and tensors or arrays (GaussianActor's ``dataset_stats``), which LeRobot's
configs take as they are, are first turned into the plain values draccus reads. On top of LeRobot's own
``__post_init__`` checks, the value ranges below and the rules of ``_constraints`` are refused here, where the
user's words still name them, instead of surfacing later as a crash deep in torch or as wrong results.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import math
import types
import typing
from collections.abc import Mapping
from typing import Any

import draccus
import numpy as np
import torch
from lerobot.configs.default import PeftConfig
from lerobot.configs.policies import PreTrainedConfig
from lerobot.utils.constants import OBS_PREFIX

from getiaction.errors import ConfigError, ConfigTypeError
from getiaction.policies.lerobot._constraints import check_constraints
from getiaction.policies.lerobot._normalization_mapping import check_normalization_mapping

# Value ranges LeRobot leaves unchecked, where a bad value crashes later (``chunk_size=0``: "pop from an
# empty deque") or trains silently wrong (a negative learning rate ascends the loss). Exact field names,
# not patterns: several fields use -1 or 0 as a meaningful sentinel (``num_expert_layers=-1``,
# ``lora_rank=0``). A test keeps every name here a field of some registered policy, and every
# policy's defaults inside these ranges. Sizes are also at most MAX_SIZE: ``dim_model=2**40`` would
# otherwise overflow in C++ forty frames down.
MAX_SIZE = 2**20
AT_LEAST_ONE = frozenset(
    {
        "action_chunk_size",
        "chunk_size",
        "cem_iterations",
        "dim_feedforward",
        "dim_model",
        "diffusion_step_embed_dim",
        "embed_dim",
        "gpt_block_size",
        "gpt_hidden_dim",
        "gpt_input_dim",
        "gpt_n_head",
        "gpt_n_layer",
        "gpt_output_dim",
        "hidden_dim",
        "hidden_size",
        "horizon",
        "kernel_size",
        "latent_dim",
        "max_action_dim",
        "max_state_dim",
        "mlp_dim",
        "n_action_pred_token",
        "n_action_steps",
        "n_decoder_layers",
        "n_elites",
        "n_encoder_layers",
        "n_gaussian_samples",
        "n_groups",
        "n_heads",
        "n_obs_steps",
        "n_vae_encoder_layers",
        "num_heads",
        "num_inference_steps",
        "num_layers",
        "num_steps",
        "num_train_timesteps",
        "q_ensemble_size",
        "spatial_softmax_num_keypoints",
        "timestep_embed_dim",
        "tokenizer_max_length",
        "vqvae_embedding_dim",
        "vqvae_enc_hidden_dim",
        "vqvae_n_embed",
    }
)
NON_NEGATIVE = frozenset(
    {
        "drop_n_last_frames",
        "empty_cameras",
        "kl_weight",
        "max_random_shift_ratio",
        "max_std",
        "min_std",
        "n_pi_samples",
        "optimizer_grad_clip_norm",
        "optimizer_lr",
        "optimizer_lr_backbone",
        "optimizer_vqvae_lr",
        "optimizer_vqvae_weight_decay",
        "optimizer_weight_decay",
        "scheduler_decay_lr",
        "scheduler_decay_steps",
        "scheduler_warmup_steps",
    }
)
PROBABILITIES = frozenset({"action_dropout", "dropout", "lora_dropout", "predictor_dropout"})
# Moving-average and expectile coefficients, in [0, 1] (TDMPC's; outside, its updates diverge silently).
FRACTIONS = frozenset({"expectile_weight", "gaussian_mean_momentum", "target_model_momentum"})
# A discount factor lies in (0, 1]: 1.5 makes TD targets grow without bound, silently.
DISCOUNTS = frozenset({"discount"})
# The optimizer's two betas, each in [0, 1): torch refuses anything else, but only when `fit` starts.
BETAS = frozenset({"optimizer_betas"})
# Tuples of sizes (channels, image height and width), each entry in [1, MAX_SIZE]; those in NON_EMPTY are
# indexed by LeRobot (diffusion's U-Net reads down_dims[0] and down_dims[-1]).
SIZE_TUPLES = frozenset(
    {
        "crop_shape",
        "down_dims",
        "image_crop_shape",
        "image_resize_shape",
        "image_resolution",
        "image_size",
        "patch_size",
        "resize_images_to",
        "resize_imgs_with_padding",
        "resize_shape",
    }
)
NON_EMPTY = frozenset({"down_dims"})


def decode_config(
    config_class: type[PreTrainedConfig], fields: Mapping[str, Any], *, subject: str
) -> PreTrainedConfig:
    """Build and validate ``config_class`` from parameter values; errors name ``subject`` and the field.

    Every copy is fresh, so no two modules share a mutable default.
    """
    _refuse_bools_for_numbers(config_class, fields, subject)
    check_normalization_mapping(config_class, fields, subject=subject)
    plain = {name: _plain_input(value) for name, value in fields.items()}
    try:
        config: PreTrainedConfig = draccus.decode(config_class, draccus.encode(plain))
    except draccus.utils.DecodingError as error:
        raise ConfigError(f"{subject}: invalid value for {error}") from error
    except draccus.utils.ParsingError as error:
        cause = error.__cause__
        prefix = f"{subject}: {config_class.__name__} rejected the configuration"
        if isinstance(cause, ImportError):
            raise cause from None  # a missing optional dependency (eo1's config loads transformers): named upstream
        if isinstance(cause, NotImplementedError):
            raise NotImplementedError(f"{prefix}: {cause}") from cause
        if isinstance(cause, TypeError):
            raise ConfigTypeError(f"{prefix}: {cause}") from cause
        raise ConfigError(f"{prefix}: {cause or error}") from error
    check_constraints(config, subject=subject)
    check_value_ranges(config, subject=subject)
    return config


def _plain_input(value: Any) -> Any:
    """What draccus reads for a value LeRobot's configs take as it is: an enum key as its value
    (``FeatureType.STATE`` -> ``"STATE"``, not draccus's ``"FeatureType.STATE"``), a tensor or array as a
    list."""
    if isinstance(value, torch.Tensor | np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, Mapping):
        return {
            (key.value if isinstance(key, enum.Enum) else key): _plain_input(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple) and not hasattr(value, "_fields"):  # named tuples stay as they are
        return type(value)(_plain_input(item) for item in value)
    return value


def field_names(config_class: type[PreTrainedConfig]) -> list[str]:
    """The config's constructor arguments (its init fields, along the MRO), in declaration order."""
    return [field.name for field in dataclasses.fields(config_class) if field.init]


def plain_fields(config: PreTrainedConfig) -> dict[str, Any]:
    """A config's constructor arguments as plain JSON values (what YAML, checkpoints and hparams hold)."""
    encoded = json.loads(json.dumps(draccus.encode(config)))
    return {name: encoded[name] for name in field_names(type(config))}


def check_value_ranges(config: PreTrainedConfig, *, subject: str) -> None:
    """Refuse values of the range tables above, and floats that are not finite (where the upstream default
    is); ``None`` (a documented "unset") passes."""
    _check_finite(config, subject=subject)
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        name = field.name
        if value is None or isinstance(value, bool):
            continue
        if name in AT_LEAST_ONE and isinstance(value, int | float) and value < 1:
            raise ConfigError(f"{subject}: {name} must be at least 1, got {value!r}")
        if name in AT_LEAST_ONE and isinstance(value, int | float) and value > MAX_SIZE:
            raise ConfigError(f"{subject}: {name} must be at most {MAX_SIZE} (2**20), got {value!r}")
        if name in NON_NEGATIVE and isinstance(value, int | float) and value < 0:
            raise ConfigError(f"{subject}: {name} must be 0 or more, got {value!r}")
        if name in PROBABILITIES and isinstance(value, int | float) and not 0 <= value <= 1:
            raise ConfigError(
                f"{subject}: {name} is a probability, expected a value in [0, 1], got {value!r}"
            )
        if name in FRACTIONS and isinstance(value, int | float) and not 0 <= value <= 1:
            raise ConfigError(f"{subject}: {name} must lie in [0, 1], got {value!r}")
        if name in DISCOUNTS and isinstance(value, int | float) and not 0 < value <= 1:
            raise ConfigError(
                f"{subject}: {name} is a discount factor, expected 0 < {name} <= 1, got {value!r}"
            )
        if (
            name in BETAS
            and isinstance(value, tuple | list)
            and (len(value) != 2 or not all(isinstance(b, int | float) and 0 <= b < 1 for b in value))
        ):
            raise ConfigError(f"{subject}: {name} must be two betas in [0, 1) each, got {tuple(value)!r}")
        if name in SIZE_TUPLES and isinstance(value, tuple | list):
            _check_sizes(name, tuple(value), subject=subject)


def _check_sizes(name: str, sizes: tuple[Any, ...], *, subject: str) -> None:
    if name in NON_EMPTY and not sizes:
        raise ConfigError(f"{subject}: {name} must have at least one entry, got ()")
    if not all(
        isinstance(size, int) and not isinstance(size, bool) and 1 <= size <= MAX_SIZE for size in sizes
    ):
        raise ConfigError(f"{subject}: {name} holds sizes, each in [1, {MAX_SIZE}], got {sizes!r}")


def _check_finite(config: object, *, subject: str, prefix: str = "") -> None:
    """Every float in the config's fields (and in their tuples, lists, mappings and nested configs) is
    finite: ``optimizer_lr=nan`` makes Adam fail, ``kl_weight=nan`` every weight NaN."""
    allowed = _non_finite_defaults(type(config))
    for field in dataclasses.fields(config):  # type: ignore[arg-type]  # a dataclass instance
        if field.name in allowed:
            continue
        value = getattr(config, field.name)
        path = f"{prefix}{field.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            _check_finite(value, subject=subject, prefix=f"{path}.")
            continue
        bad = _first_non_finite(value, path)
        if bad is not None:
            raise ConfigError(f"{subject}: {bad[0]} must be a finite number, got {bad[1]!r}")


def _first_non_finite(value: Any, path: str) -> tuple[str, float] | None:
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value)
    items: Any = ()
    if isinstance(value, Mapping):
        items = ((f"{path}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{index}]", item) for index, item in enumerate(value))
    for item_path, item in items:
        bad = _first_non_finite(item, item_path)
        if bad is not None:
            return bad
    return None


def _non_finite_defaults(config_class: type) -> frozenset[str]:
    """Fields whose upstream default is a non-finite float (none in lerobot 0.6.1): they may stay so."""
    return frozenset(
        field.name
        for field in dataclasses.fields(config_class)
        if isinstance(field.default, float) and not math.isfinite(field.default)
    )


def _refuse_bools_for_numbers(
    config_class: type[PreTrainedConfig], fields: Mapping[str, Any], subject: str
) -> None:
    """``dim_model=True`` would decode to 1: a bool for a number is almost always a slip.

    Fields whose upstream default is itself a bool despite a numeric annotation (ACT's
    ``replace_final_stride_with_dilation: int = False``) take bools, as upstream means them.
    """
    numeric = _numeric_fields(config_class)
    for name, value in fields.items():
        if isinstance(value, bool) and name in numeric:
            raise ConfigTypeError(
                f"{subject}: {name} expects {numeric[name]}, got the bool {value!r}; write a number"
            )


@functools.cache
def _numeric_fields(config_class: type[PreTrainedConfig]) -> dict[str, str]:
    """Fields annotated with int or float but not bool (and not defaulting to a bool): name -> annotation."""
    hints = typing.get_type_hints(config_class)
    numeric: dict[str, str] = {}
    for field in dataclasses.fields(config_class):
        annotation = hints[field.name]
        members = (
            typing.get_args(annotation)
            if typing.get_origin(annotation) in (typing.Union, types.UnionType)
            else (annotation,)
        )
        if bool in members or isinstance(field.default, bool):
            continue
        if int in members or float in members:
            numeric[field.name] = " | ".join(getattr(m, "__name__", str(m)) for m in members)
    return numeric


# --- what a wrapper adds to its upstream config ---------------------------------------------------------

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
