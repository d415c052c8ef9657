"""``LeRobotPolicy``: any generated wrapper, chosen by LeRobot policy name at run time."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from lerobot.configs.policies import PreTrainedConfig

from getiaction.errors import ConfigError, ConfigTypeError, did_you_mean
from getiaction.policies.lerobot import _registry
from getiaction.policies.lerobot._assembly import decode_parameters
from getiaction.policies.lerobot._availability import missing_extra_hint
from getiaction.policies.lerobot._base import LeRobotPolicyModule
from getiaction.policies.lerobot._config import field_names
from getiaction.policies.lerobot._stats import Stats


def wrapper_class(policy_name: str) -> type[LeRobotPolicyModule[Any]]:
    """The generated wrapper class for a LeRobot policy name (``"act"`` -> ``ACT``)."""
    registered = _registry.entry(policy_name)
    if registered is None:
        known = _registry.registered_types()
        raise ConfigError(
            f"Unknown LeRobot policy name {policy_name!r}.{did_you_mean(policy_name, known)} "
            f"Valid names: {', '.join(known)}."
        )
    wrapper: type[LeRobotPolicyModule[Any]] = registered.load()
    return wrapper


def wrapper_parameters(wrapper: type[LeRobotPolicyModule[Any]]) -> list[str]:
    """Keyword parameters of a generated wrapper, in signature order."""
    return [name for name in inspect.signature(wrapper.__init__).parameters if name != "self"]


class LeRobotPolicy(LeRobotPolicyModule[PreTrainedConfig]):
    """Any LeRobot policy, selected by name: ``LeRobotPolicy("diffusion", horizon=16)``.

    It behaves exactly like the explicit class for that policy (``Diffusion`` here): the same
    parameters, defaults, validation, checkpoints and Lightning behaviour; only the static typing of
    the keyword arguments is lost. Parameters may also come as a mapping, ``policy_config``; a keyword
    given both ways takes the keyword's value (``policy_config`` is the base, keywords override it).

    In the CLI's YAML, the parameters go beside ``policy_name`` (or in ``policy_config``), and the spec
    resolves to the explicit class, validated against its typed signature::

        model:
          class_path: getiaction.policies.lerobot.LeRobotPolicy
          init_args:
            policy_name: diffusion
            horizon: 16
            n_action_steps: 8

    Args:
        policy_name: LeRobot's registry name of the policy (``act``, ``diffusion``, ``pi0``, ...).
        policy_config: Parameters of the explicit wrapper class (its config fields), as a mapping.
        stats: Dataset statistics for normalisation, as LeRobot's ``dataset_stats``.
        **policy_kwargs: Parameters of the explicit wrapper class, as keywords.
    """

    def __init__(
        self,
        policy_name: str,
        *,
        policy_config: Mapping[str, Any] | None = None,
        stats: Stats | None = None,
        **policy_kwargs: Any,
    ) -> None:
        parameters = {"policy_name": policy_name, "policy_config": policy_config, **policy_kwargs}
        config, options = type(self)._config_and_options(parameters)
        self._initialise(
            config, stats=stats, options=options, build=type(self)._declares_features(parameters)
        )

    @classmethod
    def _flattened(cls, parameters: Mapping[str, Any]) -> dict[str, Any]:
        # policy_config is the base; parameters given beside policy_name override it.
        fields = dict(parameters)
        return {**(fields.pop("policy_config", None) or {}), **fields}

    @classmethod
    def _config_from_parameters(cls, parameters: Mapping[str, Any]) -> PreTrainedConfig:
        fields = cls._flattened(parameters)
        policy_name = fields.pop("policy_name", None)
        if not isinstance(policy_name, str):
            raise ConfigTypeError(f"LeRobotPolicy needs a policy_name (a string), got {policy_name!r}")
        wrapper = wrapper_class(policy_name)
        known = field_names(wrapper.config_class)
        for name in fields:
            if name not in known:
                raise ConfigTypeError(
                    f"LeRobotPolicy({policy_name!r}) got an unexpected keyword argument {name!r}: "
                    f"{wrapper.__name__} has no such parameter.{did_you_mean(name, known)}"
                )
        with missing_extra_hint(policy_name, cls.__name__):
            return decode_parameters(wrapper.config_class, fields, subject=cls.__name__)

    @property
    def policy_name(self) -> str:
        """The LeRobot policy name this module was built for (``"act"``, ``"diffusion"``, ...)."""
        return self.policy_type

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        return policy_type in PreTrainedConfig.get_known_choices()
