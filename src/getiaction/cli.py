"""``getiaction``: LightningCLI over every getiaction policy and ``LeRobotDataModule``.

getiaction fit --config configs/lerobot_act.yaml --model.init_args.dim_model 1024 --trainer.max_epochs 200
getiaction fit --config configs/lerobot_diffusion.yaml --print_config
getiaction validate --config configs/lerobot_act.yaml --ckpt_path outputs/.../last.ckpt
getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --env.type=pusht  (getiaction.evaluation)

``LeRobotPolicy`` specs (``policy_name`` with the policy's parameters inline or in ``policy_config``)
resolve to the explicit class before parsing, so they are validated against its typed signature and
write its checkpoints. Errors about the user's input print as one paragraph; ``--debug`` (or
``GETIACTION_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO, TypeGuard

import draccus
from jsonargparse import Namespace
from lightning.pytorch.cli import LightningCLI

from getiaction.errors import ConfigError, ConfigTypeError, GetiActionError

_UNIVERSAL_NAMES = frozenset(
    {
        "LeRobotPolicy",
        "getiaction.policies.lerobot.LeRobotPolicy",
        "getiaction.policies.lerobot._universal.LeRobotPolicy",
    }
)
_SUBCOMMANDS = ("fit", "validate", "test", "predict")


def main(argv: Sequence[str] | None = None) -> None:
    """Console script entry point: ``getiaction eval ...`` runs LeRobot's evaluator, the rest is LightningCLI."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("GETIACTION_DEBUG", "") not in ("", "0")
    args = [arg for arg in args if arg != "--debug"]
    if not args or args[0] in ("-h", "--help"):
        # LightningCLI's own help knows its subcommands only: list them all here, eval and generate included.
        print_help(sys.stdout if args else sys.stderr)
        sys.exit(0 if args else 2)
    if args[0] == "generate":
        from getiaction.codegen.cli import main as generate

        raise SystemExit(generate(args[1:]))
    if argv is None:
        sys.argv[1:] = args  # LightningCLI reads sys.argv itself (and warns when given both)
    try:
        if args[0] == "eval":
            from getiaction.evaluation.command import main as evaluate

            evaluate(args[1:])
        else:
            run_cli(None if argv is None else args)
    except Exception as error:
        cause = _input_error(error)
        if cause is None or debug:
            raise
        print(f"getiaction: error: {cause}\n(run with --debug to see the traceback)", file=sys.stderr)
        sys.exit(2)


def print_help(file: TextIO) -> None:
    """``getiaction --help``: every subcommand with a one-line description, LightningCLI's and ``eval``."""
    from lightning.pytorch import Trainer

    parser = argparse.ArgumentParser(
        prog="getiaction",
        description="Typed PyTorch Lightning wrappers for every LeRobot policy: train them with LightningCLI, "
        "evaluate them with LeRobot's own evaluator.",
        epilog="`getiaction <subcommand> --help` lists a subcommand's options. --debug (or GETIACTION_DEBUG=1) "
        "shows the traceback of an input error instead of its one-paragraph message.",
    )
    subcommands = parser.add_subparsers(
        title="subcommands", metavar="{" + ",".join([*_SUBCOMMANDS, "eval", "generate"]) + "}"
    )
    for name in LightningCLI.subcommands():
        subcommands.add_parser(name, help=_first_sentence(inspect.getdoc(getattr(Trainer, name))))
    subcommands.add_parser("eval", help="Evaluate a policy in simulation, by lerobot-eval.")
    subcommands.add_parser(
        "generate", help="Render typed wrappers for LeRobot policy plugins into your package."
    )
    parser.print_help(file)


def _first_sentence(doc: str | None) -> str:
    text = " ".join((doc or "").split("\n\n")[0].split())
    return text.split(". ")[0].rstrip(".") + "."


def _input_error(error: BaseException) -> BaseException | None:
    """The input error behind ``error`` (jsonargparse re-raises instantiation errors wrapped): one of
    getiaction's family, or Lightning's refusal of a Trainer argument (``--trainer.max_steps=-5``)."""
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, GetiActionError | MisconfigurationException):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def run_cli(args: Sequence[str] | None = None) -> LightningCLI:
    """Run the CLI (``fit``, ``validate``, ``test``, ``predict``); ``args`` default to ``sys.argv``."""
    from getiaction.data.lerobot import LeRobotDataModule
    from getiaction.policies import lerobot as policies

    # Import every (lazily exported) wrapper so `--model ACT`, a short class name, resolves too.
    for name in policies.__all__:
        getattr(policies, name)

    if args is None:
        sys.argv[1:] = resolve_universal_specs(sys.argv[1:])
    return _CLI(
        model_class=policies.LeRobotPolicyModule,
        datamodule_class=LeRobotDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        save_config_kwargs={"overwrite": True},
        args=None if args is None else resolve_universal_specs(list(args)),
    )


class _CLI(LightningCLI):
    """LightningCLI whose ``--ckpt_path`` is checked before anything runs, and which says so when the
    checkpoint's hyperparameters override values the YAML or command line set."""

    def _parse_ckpt_path(self) -> None:
        subcommand = str(self.config.get("subcommand") or "") if self.config else ""
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if not ckpt_path:
            super()._parse_ckpt_path()
            return
        _check_ckpt_path(Path(ckpt_path), self.config[subcommand].get("model"))
        given = _model_init_args(self.config[subcommand].get("model"))
        super()._parse_ckpt_path()
        saved = _model_init_args(self.config[subcommand].get("model"), set_only=False)
        differing = {key: (value, saved.get(key)) for key, value in given.items() if saved.get(key) != value}
        if not differing:
            return
        listed = "; ".join(
            f"{key}: given {mine!r}, checkpoint {theirs!r}" for key, (mine, theirs) in differing.items()
        )
        if subcommand == "fit":
            raise ConfigError(
                f"--ckpt_path {ckpt_path}: resuming continues that run with its own hyperparameters, which differ "
                f"from the ones given ({listed}). Drop them to resume, or fine-tune instead (a new run from "
                "--model.init_args.pretrained_path, or load_from_checkpoint in Python)"
            )
        print(
            f"getiaction: the checkpoint's hyperparameters are used, not the ones given: {listed}",
            file=sys.stderr,
        )


def _check_ckpt_path(path: Path, model: Any) -> None:
    """A missing, unreadable or foreign ``--ckpt_path`` as one error naming the file (not a traceback)."""
    from getiaction.policies.lerobot._saved_files import read_checkpoint

    if not path.is_file():
        raise ConfigError(f"--ckpt_path {path}: no such checkpoint file")
    # Mapped, not read: only the record is used here, and Lightning loads the whole file itself later.
    _, record = read_checkpoint(path, map_location="cpu", mmap=True)
    loads_policy_type = getattr(_model_class(model), "loads_policy_type", None)
    if callable(loads_policy_type) and not loads_policy_type(record.policy_type):
        raise ConfigError(
            f"--ckpt_path {path}: holds a {record.policy_type!r} policy, which the model "
            f"{_class_path(model)} does not load; give that policy's config"
        )


def _class_path(model: Any) -> str:
    """The model spec's ``class_path`` (a Namespace or a dict), or ``""``."""
    found = (
        model.get("class_path") if isinstance(model, Namespace | dict) else getattr(model, "class_path", "")
    )
    return str(found or "")


def _model_class(model: Any) -> Any:
    """The class the model spec's ``class_path`` names, or None when it names none."""
    module_name, _, class_name = _class_path(model).rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        return None


def _model_init_args(model: Any, *, set_only: bool = True) -> dict[str, Any]:
    """The model's init args; ``set_only``: those that differ from its class's defaults, that is what the
    YAML or command line set."""
    init_args = model.get("init_args") if isinstance(model, Namespace | dict) else None
    if init_args is None:
        return {}
    values = init_args.as_dict() if isinstance(init_args, Namespace) else dict(init_args)
    if not set_only:
        return values
    model_class = _model_class(model)
    if model_class is None:
        return {}
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(model_class.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    return {key: value for key, value in values.items() if key in defaults and _plain(defaults[key]) != value}


def _plain(value: Any) -> Any:
    """A default as jsonargparse holds it parsed (enums by name, tuples as lists)."""
    try:
        return json.loads(json.dumps(draccus.encode(value)))
    except (TypeError, ValueError):
        return value


# --- LeRobotPolicy specs -> the explicit class ------------------------------------------------------


def resolve_universal_specs(args: list[str]) -> list[str]:
    """``args`` with every ``LeRobotPolicy`` model spec replaced by its explicit class's spec.

    Specs come from config files or strings (``--config``, top level or under a subcommand) and from
    ``--model`` values; ``--model.init_args.policy_name`` / ``policy_config`` on the command line apply
    to them. Other ``--model.init_args.*`` options are left alone: they apply to the explicit class.
    """
    command_line: dict[str, Any] = {}
    remaining: list[str] = []
    for name, value, raw in _options(args):
        if name in ("--model.init_args.policy_name", "--model.init_args.policy_config"):
            command_line[name.rsplit(".", 1)[1]] = _yaml(value)
        else:
            remaining += raw
    resolved: list[str] = []
    found = False
    for name, value, raw in _options(remaining):
        if name in ("--config", "-c") and value is not None:
            text = Path(value).read_text(encoding="utf-8") if Path(value).is_file() else value
            document = _yaml(text, value if Path(value).is_file() else "--config")
            if isinstance(document, dict) and _rewrite_models(document, command_line):
                resolved += [name, json.dumps(document)]
                found = True
                continue
        elif name == "--model" and value is not None:
            spec = _yaml(value)
            if isinstance(spec, str) and spec in _UNIVERSAL_NAMES:
                spec = {"class_path": spec}
            if _is_universal(spec):
                resolved += [name, json.dumps(_explicit_spec(spec, command_line))]
                found = True
                continue
        resolved += raw
    if command_line and not found:
        return args  # no LeRobotPolicy here: let LightningCLI refuse the options as it would
    return resolved


def _options(args: list[str]) -> list[tuple[str, str | None, list[str]]]:
    """``(name, value, raw args)`` for each option, whether written ``--name value`` or ``--name=value``."""
    options: list[tuple[str, str | None, list[str]]] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg.startswith("-") and "=" in arg:
            name, value = arg.split("=", 1)
            options.append((name, value, [arg]))
        elif arg.startswith("-") and index + 1 < len(args) and not args[index + 1].startswith("--"):
            options.append((arg, args[index + 1], [arg, args[index + 1]]))
            index += 1
        else:
            options.append((arg, None, [arg]))
        index += 1
    return options


def _rewrite_models(document: dict[str, Any], command_line: Mapping[str, Any]) -> bool:
    """Replace universal ``model`` specs in a config document (top level or per subcommand) in place."""
    changed = False
    for section in (document, *(document.get(sub) for sub in _SUBCOMMANDS)):
        if isinstance(section, dict) and _is_universal(section.get("model")):
            section["model"] = _explicit_spec(section["model"], command_line)
            changed = True
    return changed


def _is_universal(spec: object) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(spec, Mapping) and spec.get("class_path") in _UNIVERSAL_NAMES


def _explicit_spec(spec: Mapping[str, Any], command_line: Mapping[str, Any]) -> dict[str, Any]:
    """``{class_path: <explicit class>, init_args: ...}`` for a universal spec, its keys checked by name.

    As in Python, ``policy_config`` is the base and parameters given beside ``policy_name`` override it.
    """
    from getiaction.policies.lerobot._legacy_names import parameter_hint
    from getiaction.policies.lerobot._universal import wrapper_class, wrapper_parameters

    init_args = dict(spec.get("init_args") or {})
    init_args.update(command_line)
    policy_name = init_args.pop("policy_name", None)
    if not isinstance(policy_name, str):
        raise ConfigTypeError(
            f"model: LeRobotPolicy needs `policy_name` (act, diffusion, ...) in its init_args, got {policy_name!r}"
        )
    parameters = {**(init_args.pop("policy_config", None) or {}), **init_args}
    wrapper = wrapper_class(policy_name)
    if wrapper.__name__ == "LeRobotPolicy":  # an installed plugin's policy no generated package wraps
        universal = {"policy_name": policy_name, "policy_config": parameters}
        return {"class_path": "getiaction.policies.lerobot.LeRobotPolicy", "init_args": universal}
    known = wrapper_parameters(wrapper)
    for key in parameters:
        if key not in known:
            raise ConfigTypeError(
                f"model: LeRobotPolicy({policy_name!r}) has no parameter {key!r}: {wrapper.__name__} takes "
                f"none by that name.{parameter_hint(key, known, cls=wrapper.__name__)} Its parameters are "
                f"listed, with defaults, in configs/lerobot_{policy_name}.yaml."
            )
    return {"class_path": f"{wrapper.__module__}.{wrapper.__name__}", "init_args": parameters}


def _yaml(text: str | None, source: str = "the command line") -> Any:
    import yaml

    try:
        return yaml.safe_load(text) if text is not None else None
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: not valid YAML: {' '.join(str(error).split())}") from error


if __name__ == "__main__":
    main()
