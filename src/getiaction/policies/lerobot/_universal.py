"""``LeRobotPolicy``: any generated wrapper, chosen by LeRobot policy name at run time."""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from lerobot.configs.policies import PreTrainedConfig

from getiaction.policies.lerobot._base import LeRobotPolicyModule, Stats, closest_names

_PACKAGE = "getiaction.policies.lerobot"


def wrapper_class(policy_name: str) -> type[LeRobotPolicyModule[Any]]:
    """The generated wrapper class for a LeRobot policy name (``"act"`` -> ``ACT``)."""
    package = importlib.import_module(_PACKAGE)
    classes: dict[str, str] = package.POLICY_CLASSES
    if policy_name not in classes:
        raise ValueError(
            f"Unknown LeRobot policy name {policy_name!r}.{closest_names(policy_name, sorted(classes))} "
            f"Valid names: {', '.join(sorted(classes))}."
        )
    wrapper: type[LeRobotPolicyModule[Any]] = getattr(package, classes[policy_name])
    return wrapper


def wrapper_parameters(wrapper: type[LeRobotPolicyModule[Any]]) -> list[str]:
    """Keyword parameters of a generated wrapper, in signature order."""
    return [name for name in inspect.signature(wrapper.__init__).parameters if name != "self"]


class LeRobotPolicy(LeRobotPolicyModule[PreTrainedConfig]):
    """Any LeRobot policy, selected by name: ``LeRobotPolicy("diffusion", horizon=16)``.

    It behaves exactly like the explicit class for that policy (``Diffusion`` here): the same
    parameters, defaults, validation and Lightning behaviour; only the static typing of the keyword
    arguments is lost. In YAML, where a class takes only the parameters its signature names, the
    policy's parameters go in ``policy_config``::

        model:
          class_path: getiaction.policies.lerobot.LeRobotPolicy
          init_args:
            policy_name: diffusion
            policy_config: {horizon: 16, n_action_steps: 8}

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
        policy_config: dict[str, Any] | None = None,
        stats: Stats | None = None,
        **policy_kwargs: Any,
    ) -> None:
        wrapper = wrapper_class(policy_name)
        both = sorted(set(policy_config or {}) & set(policy_kwargs))
        if both:
            raise TypeError(
                f"LeRobotPolicy({policy_name!r}) got {both} both in policy_config and as keywords"
            )
        parameters = {**(policy_config or {}), **policy_kwargs}
        known = [name for name in wrapper_parameters(wrapper) if name != "stats"]
        for name in parameters:
            if name not in known:
                raise TypeError(
                    f"LeRobotPolicy({policy_name!r}) got an unexpected keyword argument {name!r}: "
                    f"{wrapper.__name__} has no such parameter.{closest_names(name, known)}"
                )
        self._policy_name = policy_name
        super().__init__(stats=stats, _config_class=wrapper.config_class, **parameters)

    @classmethod
    def loads_policy_type(cls, policy_type: str) -> bool:
        return policy_type in PreTrainedConfig.get_known_choices()

    @classmethod
    def _constructor_arguments(cls, policy_type: str) -> dict[str, Any]:
        # Checkpoints and pretrained directories name their policy; it selects the wrapper here.
        return {"policy_name": policy_type}

    def _record_hyperparameters(self) -> None:
        super()._record_hyperparameters()
        # `load_from_checkpoint` passes the hyperparameters back to `__init__`.
        self.hparams["policy_name"] = self._policy_name
