"""``LeRobotPolicy``: any generated wrapper, chosen by LeRobot policy name at run time.

A name resolves to the generated class some registered package holds (getiaction's own, or a user's
package of plugin wrappers); an installed plugin's policy that no package wraps is held by
``LeRobotPolicy`` itself, on the plugin's own config class from LeRobot's registry.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, overload

from lerobot.configs.policies import PreTrainedConfig

from getiaction.errors import ConfigError, ConfigTypeError, did_you_mean
from getiaction.policies.lerobot import _registry
from getiaction.policies.lerobot._assembly import decode_parameters, refuse_unknown_parameters
from getiaction.policies.lerobot._availability import missing_extra_hint
from getiaction.policies.lerobot._base import LeRobotPolicyModule
from getiaction.policies.lerobot._config import field_names
from getiaction.policies.lerobot._legacy_names import policy_type_hint
from getiaction.policies.lerobot._stats import Stats

if TYPE_CHECKING:
    from getiaction._lerobot.compat import LeRobotDataset, LeRobotDatasetMetadata


def wrapper_class(policy_name: str) -> type[LeRobotPolicyModule[Any]]:
    """The generated wrapper class for a LeRobot policy name (``"act"`` -> ``ACT``), or ``LeRobotPolicy``
    itself for an installed plugin's policy that no generated package wraps."""
    registered = _registry.entry(policy_name)
    if registered is not None:
        wrapper: type[LeRobotPolicyModule[Any]] = registered.load()
        return wrapper
    if _registry.lerobot_config_class(policy_name) is not None:
        return LeRobotPolicy
    known = sorted(set(_registry.registered_types()) | set(_registry.lerobot_policy_types()))
    renamed = policy_type_hint(policy_name)  # after the registry: a plugin may register the old name
    hint = f" {renamed}." if renamed is not None else did_you_mean(policy_name, known)
    raise ConfigError(
        f"Unknown LeRobot policy name {policy_name!r}.{hint} Valid names: {', '.join(known)}."
        + _registry.unknown_type_hint(policy_name)
    )


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
        # The config class the wrapper is configured with: the plugin's own, for the universal.
        configured: type[PreTrainedConfig] = (
            _registry.lerobot_config_class(policy_name) if wrapper is LeRobotPolicy else wrapper.config_class
        )
        refuse_unknown_parameters(
            fields,
            field_names(configured),
            subject=f"LeRobotPolicy({policy_name!r})",
            owner=configured.__name__ if wrapper is LeRobotPolicy else wrapper.__name__,
            hints={"config": " Give the parameters as keywords, or as a mapping in policy_config."},
        )
        with missing_extra_hint(policy_name, cls.__name__):
            return decode_parameters(configured, fields, subject=cls.__name__)

    # `LeRobotPolicy.from_dataset("act", dataset)`, the name first as the original design reads, or
    # `LeRobotPolicy.from_dataset(dataset, policy_name="act")`, as every explicit class takes a dataset.
    @overload
    @classmethod
    def from_dataset(
        cls,
        policy_name: str,
        dataset: LeRobotDataset | LeRobotDatasetMetadata | str,
        /,
        *,
        root: str | Path | None = None,
        revision: str | None = None,
        use_imagenet_stats: bool = True,
        **parameters: Any,
    ) -> Self: ...
    @overload
    @classmethod
    def from_dataset(
        cls,
        dataset: LeRobotDataset | LeRobotDatasetMetadata | str,
        /,
        *,
        root: str | Path | None = None,
        revision: str | None = None,
        use_imagenet_stats: bool = True,
        **parameters: Any,
    ) -> Self: ...
    @classmethod
    def from_dataset(
        cls,
        /,
        *args: Any,
        root: str | Path | None = None,
        revision: str | None = None,
        use_imagenet_stats: bool = True,
        **parameters: Any,
    ) -> Self:
        """A policy chosen by name and built for a dataset: ``from_dataset("act", dataset, **parameters)``
        or ``from_dataset(dataset, policy_name="act", **parameters)``; as the explicit classes' own."""
        if len(args) == 2:
            if "policy_name" in parameters:
                raise ConfigTypeError(
                    f"LeRobotPolicy.from_dataset got the policy name twice, {args[0]!r} and "
                    f"policy_name={parameters['policy_name']!r}: give one"
                )
            policy_name, dataset = args
            parameters["policy_name"] = policy_name
        elif len(args) == 1 and "policy_name" in parameters:
            (dataset,) = args
        else:
            raise ConfigTypeError(
                "LeRobotPolicy.from_dataset takes the policy name and the dataset: "
                f"from_dataset('act', dataset) or from_dataset(dataset, policy_name='act'); got {len(args)} "
                f"positional argument(s){' and no policy_name' if 'policy_name' not in parameters else ''}"
            )
        return super().from_dataset(
            dataset, root=root, revision=revision, use_imagenet_stats=use_imagenet_stats, **parameters
        )

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        return _registry.lerobot_config_class(policy_type) is not None
