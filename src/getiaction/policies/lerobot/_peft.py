"""PEFT adapters as LeRobot handles them: wrapped by ``lerobot-train --peft.*``, saved and loaded as
``make_policy`` loads them (``use_peft=True``: the pretrained path holds an adapter over a base policy).

Every step is LeRobot's or PEFT's own: ``PreTrainedPolicy.wrap_with_peft`` (with the policy's default
target modules), ``PeftModel.save_pretrained`` beside the policy config, and ``PeftModel.from_pretrained``
over the base policy the adapter config names.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from getiaction.errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    from lerobot.configs.default import PeftConfig
    from lerobot.configs.policies import PreTrainedConfig
    from lerobot.policies.pretrained import PreTrainedPolicy

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def check_peft(config: PreTrainedConfig, peft: PeftConfig | None, *, subject: str) -> None:
    """Refuse what LeRobot refuses, before anything is built: PEFT from scratch, or over an adapter."""
    if peft is None:
        return
    if not config.pretrained_path:
        raise ConfigError(
            f"{subject}: peft fine-tunes a pretrained policy, but pretrained_path is not set: use "
            "from_pretrained(...), or give pretrained_path (LeRobot refuses PEFT from scratch too)"
        )
    if (Path(str(config.pretrained_path)) / ADAPTER_CONFIG).is_file():
        raise ConfigError(
            f"{subject}: {config.pretrained_path} already holds PEFT adapters (use_peft): load it without "
            "peft to continue training them, or give the base policy's directory to train new ones"
        )


def is_adapter(config: PreTrainedConfig, peft: PeftConfig | None) -> bool:
    """Whether ``config.pretrained_path`` holds an adapter over a base policy, as ``make_policy`` reads it
    (``use_peft``). With ``peft`` given, the path is the base that new adapters wrap (``wrap_with_peft``
    sets ``use_peft`` on the config it wraps, so a rebuilt module's config says so too)."""
    return peft is None and bool(config.pretrained_path) and bool(config.use_peft)


def wrap_with_peft(policy: PreTrainedPolicy, peft: PeftConfig, *, subject: str) -> PreTrainedPolicy:
    """``lerobot_train``'s wrap: ``policy.wrap_with_peft(peft_cli_overrides=asdict(peft))``.

    Every parameter is frozen but the adapters (and ``full_training_modules``); policies with default
    targets (smolvla, pi0, pi05, molmoact2) need no ``target_modules``.
    """
    defaults = policy._get_default_peft_targets()
    if not peft.target_modules and not (defaults or {}).get("target_modules"):
        raise ConfigError(
            f"{subject}: LeRobot's {type(policy).__name__} has no default PEFT target modules: give "
            "peft.target_modules (module name suffixes, a regular expression, or 'all-linear')"
        )
    with _peft_extra_hint(subject):
        wrapped: PreTrainedPolicy = policy.wrap_with_peft(peft_cli_overrides=dataclasses.asdict(peft))
    return wrapped


def load_adapter(
    policy_class: type[PreTrainedPolicy], config: PreTrainedConfig, *, strict: bool, **kwargs: Any
) -> PreTrainedPolicy:
    """The base policy named by the adapter config, with the adapter loaded (trainable), as ``make_policy``."""
    with _peft_extra_hint(policy_class.__name__):
        from peft import PeftConfig as AdapterConfig
        from peft import PeftModel

    path = str(config.pretrained_path)
    revision = getattr(config, "pretrained_revision", None)
    adapter = AdapterConfig.from_pretrained(path, revision=revision)
    if not adapter.base_model_name_or_path:
        raise ConfigError(f"{path}: {ADAPTER_CONFIG} names no base policy (base_model_name_or_path)")
    base = policy_class.from_pretrained(
        adapter.base_model_name_or_path, config=config, revision=adapter.revision, strict=strict, **kwargs
    )
    loaded = PeftModel.from_pretrained(base, path, config=adapter, revision=revision, is_trainable=True)
    # A PeftModel forwards the policy's API (select_action, get_optim_params, config), as
    # wrap_with_peft's own annotation says.
    return cast("PreTrainedPolicy", loaded)


def save_adapter(policy: PreTrainedPolicy, config: PreTrainedConfig, directory: Path) -> None:
    """What LeRobot writes for a PEFT policy (``push_model_to_hub``): the adapter and the policy config."""
    policy.save_pretrained(directory)  # PEFT's own: adapter_config.json, adapter_model.safetensors
    config.save_pretrained(directory)


@contextmanager
def _peft_extra_hint(subject: str) -> Iterator[None]:
    try:
        yield
    except ImportError as error:
        if isinstance(error, MissingExtraError):
            raise
        raise MissingExtraError(
            f"{subject} needs optional dependencies for PEFT: {error}. Install them with: "
            "pip install 'getiaction[peft]'"
        ) from error
