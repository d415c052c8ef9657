"""LeRobot's environments, as ``lerobot-eval`` makes them, with errors that say what is wrong.

An environment is LeRobot's own ``EnvConfig`` (``pusht``, ``aloha``, ``metaworld``, ``libero``, ... and any
``lerobot_env_*`` plugin's type), decoded by draccus exactly as ``lerobot-eval --env.type=...`` decodes it, and
made by ``lerobot.envs.factory.make_env``. A simulator that is not installed is one line naming the getiaction
extra that installs it (LeRobot's extra of the same name); a value the config or the simulator refuses is a
``ConfigError`` naming the option.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeAlias

import draccus
import gymnasium as gym
from lerobot.envs.configs import EnvConfig
from lerobot.envs.factory import make_env
from lerobot.envs.utils import close_envs
from packaging.utils import canonicalize_name

from getiaction._lerobot.extras import getiaction_requirements, lerobot_extras
from getiaction._lerobot.version import lerobot_version
from getiaction.errors import ConfigError, MissingExtraError

__all__ = ["EnvSpec", "Envs", "env_config", "make_envs", "missing_simulator", "opened_envs"]

# What `make_env` returns: {task group: {task id: vector env}}.
Envs: TypeAlias = dict[str, dict[int, gym.vector.VectorEnv[Any, Any, Any]]]
# An environment as a user gives it: LeRobot's config, its draccus mapping ({"type": "pusht", ...}) or a type.
EnvSpec: TypeAlias = "EnvConfig | Mapping[str, Any] | str"


def env_config(spec: EnvSpec, *, option: str = "env") -> EnvConfig:
    """LeRobot's ``EnvConfig`` for ``spec``: ``{"type": "pusht", "obs_type": ...}`` decodes as draccus decodes
    ``--env.type=pusht --env.obs_type=...``; a bare string is the type with its defaults."""
    if isinstance(spec, EnvConfig):
        return spec
    mapping: dict[str, Any] = {"type": spec} if isinstance(spec, str) else dict(spec)
    try:
        config: EnvConfig = draccus.decode(EnvConfig, mapping)
    except (draccus.utils.DraccusException, ValueError, TypeError) as error:
        known = ", ".join(sorted(EnvConfig.get_known_choices()))
        raise ConfigError(f"{option}: {error} (environment types: {known})") from error
    return config


def make_envs(env: EnvConfig, *, n_envs: int, use_async_envs: bool, trust_remote_code: bool = False) -> Envs:
    """``make_env(env, n_envs, use_async_envs)``, as ``lerobot-eval`` calls it; errors name what to fix."""
    if use_async_envs and n_envs > 1 and type(env).create_envs is EnvConfig.create_envs:
        # LeRobot's default create_envs registers the gym id by importing gym_<type> in this process only:
        # its async workers cannot make the environment (PushT, ALOHA die with "Connection reset by peer"),
        # nor answer its `task_description` call. In-process stepping gives the same (seeded) episodes.
        print(
            f"getiaction: --env.type={env.type} steps its {n_envs} environments in this process "
            f"(--eval.use_async_envs=false): LeRobot's worker processes cannot make {env.gym_id}",
            file=sys.stderr,
        )
        use_async_envs = False
    try:
        envs: Envs = make_env(
            env, n_envs=n_envs, use_async_envs=use_async_envs, trust_remote_code=trust_remote_code
        )
    except ImportError as error:
        raise missing_simulator(env, error) from error
    except (gym.error.Error, ValueError, TypeError, KeyError, AttributeError) as error:
        raise ConfigError(
            f"--env.type={env.type}: LeRobot could not make the environment from its options: "
            f"{type(error).__name__}: {error}"
        ) from error
    return envs


@contextmanager
def opened_envs(
    env: EnvConfig, *, n_envs: int, use_async_envs: bool, trust_remote_code: bool = False
) -> Iterator[Envs]:
    """``make_envs``, closed on exit with LeRobot's ``close_envs`` (as lerobot_train's ``_make_eval_envs``)."""
    envs = make_envs(env, n_envs=n_envs, use_async_envs=use_async_envs, trust_remote_code=trust_remote_code)
    try:
        yield envs
    finally:
        close_envs(envs)


def missing_simulator(env: EnvConfig, error: ImportError) -> MissingExtraError:
    """One line: the module that is missing and the extra that installs it."""
    missing = _missing_module(error)
    extra = _lerobot_extra(env)
    lerobot = lerobot_version()
    if extra is None:
        fix = f"Install the package that provides {missing!r}."
    elif (ours := _getiaction_extra(extra)) is not None:
        fix = f"Install it with: pip install 'getiaction[{ours}]' (it pins lerobot=={lerobot})"
    else:
        fix = f"Install it with: pip install 'lerobot[{extra}]=={lerobot}'"
    return MissingExtraError(
        f"--env.type={env.type} needs its simulator: {missing!r} is not installed. {fix}"
    )


def _missing_module(error: ImportError) -> str:
    # LeRobot re-raises the import error of gym_<type> with its own message; the original names the module.
    current: BaseException | None = error
    while current is not None:
        if isinstance(current, ImportError) and current.name:
            return current.name
        current = current.__cause__
    return str(error)


def _lerobot_extra(env: EnvConfig) -> str | None:
    """LeRobot's extra for the environment: its type's name, or a base type's (libero_plus is libero's)."""
    known = EnvConfig.get_known_choices()
    for cls in type(env).__mro__:
        for name, choice in known.items():
            if choice is cls and canonicalize_name(name) in lerobot_extras():
                return name
    return None


def _getiaction_extra(lerobot_extra: str) -> str | None:
    """The getiaction extra that pins ``lerobot[<lerobot_extra>]``, read from getiaction's own metadata."""
    candidates: list[str] = []
    for requirement in getiaction_requirements():
        marker = str(requirement.marker or "")
        if (
            requirement.name == "lerobot"
            and lerobot_extra in requirement.extras
            and marker.startswith("extra")
        ):
            candidates.append(marker.removeprefix("extra == ").strip("\"'"))
    # Several extras may bring it (quickstart brings pusht); the one of the same name is the one to name.
    return lerobot_extra if lerobot_extra in candidates else next(iter(candidates), None)
