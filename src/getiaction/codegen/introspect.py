"""Read config dataclasses into the IR: one ``PolicySpec`` per policy, the fields along the whole MRO."""

from __future__ import annotations

import dataclasses
import json
import keyword
import types
import typing
from collections.abc import Mapping, Sequence

import draccus

from getiaction._lerobot.version import lerobot_version
from getiaction.codegen.docs import class_docs, field_doc
from getiaction.codegen.exprs import GenericType, ImportRef, LiteralValue, NamedType, UnionType
from getiaction.codegen.extras import policy_extra
from getiaction.codegen.installed import builtin_policies, untyped_packages
from getiaction.codegen.ir import GenerationSpec, ParameterSpec, Plugin, PolicySpec
from getiaction.codegen.text import PlainValue
from getiaction.codegen.typemap import type_expr
from getiaction.codegen.values import UnrenderableValue, importable_ref, value_expr

# Parameters every wrapper adds after the upstream fields: spelled here once, rendered like the fields.
WRAPPER_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        name="stats",
        annotation=UnionType(
            (
                NamedType("Stats", ImportRef("getiaction.policies.lerobot._stats", "Stats")),
                NamedType("None"),
            )
        ),
        default=LiteralValue("None"),
        doc=(
            "Dataset statistics for normalisation, as LeRobot's ``dataset_stats``: feature name -> "
            "statistic name (``mean``, ``std``, ``min``, ``max``, ...) -> values. Without them, the "
            "statistics come from the dataset (``from_dataset``, or a LeRobotDataModule when fitting)."
        ),
        declared_in="wrapper",
        origin="wrapper",
    ),
    ParameterSpec(
        name="rename_map",
        annotation=UnionType((GenericType("dict", (NamedType("str"), NamedType("str"))), NamedType("None"))),
        default=LiteralValue("None"),
        doc=(
            "Dataset key -> the policy's key, as ``lerobot-train --rename_map``: observations (and their "
            "statistics) are renamed before the preprocessor, so a pretrained policy can fine-tune on a "
            'dataset whose cameras are named otherwise, e.g. ``{"observation.images.top": '
            '"observation.images.cam_high"}``. Saved with the policy.'
        ),
        declared_in="wrapper",
        origin="wrapper",
    ),
    ParameterSpec(
        name="peft",
        annotation=UnionType(
            (NamedType("PeftConfig", ImportRef("lerobot.configs.default", "PeftConfig")), NamedType("None"))
        ),
        default=LiteralValue("None"),
        doc=(
            "Fine-tune with PEFT adapters (LoRA by default), as ``lerobot-train --peft.*``: the pretrained "
            "policy (``pretrained_path``, ``from_pretrained``) is wrapped by its own ``wrap_with_peft``, so "
            "policies with default targets (smolvla, pi0, pi05, molmoact2) need none; others need "
            "``target_modules``. Only adapter and ``full_training_modules`` parameters train."
        ),
        declared_in="wrapper",
        origin="wrapper",
    ),
)


class GenerationError(Exception):
    """The installed LeRobot holds something the generator cannot render faithfully."""


def own_spec() -> GenerationSpec:
    """getiaction's own wrappers: LeRobot's built-in policies, whatever else is installed or imported."""
    policies = tuple(build_policy_spec(key, cls) for key, cls in builtin_policies().items())
    return _suite(policies, untyped=frozenset())


def plugins_spec(plugins: Sequence[tuple[Plugin, Mapping[str, type]]]) -> GenerationSpec:
    """A user's wrappers: the policies of the given plugins (from ``installed.plugin_policies``)."""
    policies = tuple(
        sorted(
            (
                build_policy_spec(key, cls, plugin=plugin)
                for plugin, configs in plugins
                for key, cls in configs.items()
            ),
            key=lambda policy: policy.policy_type,
        )
    )
    modules = {ref.module for policy in policies for ref in policy.imports()}
    return _suite(policies, untyped=untyped_packages(modules))


def _suite(policies: tuple[PolicySpec, ...], *, untyped: frozenset[str]) -> GenerationSpec:
    class_names = [policy.class_name for policy in policies]
    duplicates = sorted({name for name in class_names if class_names.count(name) > 1})
    if duplicates:
        raise GenerationError(f"several policies map to the same wrapper class name: {duplicates}")
    return GenerationSpec(lerobot_version=lerobot_version(), policies=policies, untyped_packages=untyped)


def build_policy_spec(policy_type: str, config_cls: type, *, plugin: Plugin | None = None) -> PolicySpec:
    """Introspect one config dataclass (fields along the whole MRO) into a ``PolicySpec``."""
    where = f"policy {policy_type!r} ({config_cls.__module__}.{config_cls.__qualname__})"
    if not policy_type.isidentifier() or keyword.iskeyword(policy_type):
        raise GenerationError(f"{where}: registry key is not a valid module name")
    if not config_cls.__name__.endswith("Config") or config_cls.__name__ == "Config":
        raise GenerationError(f"{where}: config class name must end with 'Config'")
    config_ref = importable_ref(config_cls)
    if config_ref is None:
        raise GenerationError(f"{where}: config class cannot be imported by name")
    try:
        hints = typing.get_type_hints(config_cls)
    except Exception as error:
        raise GenerationError(f"{where}: cannot resolve annotations: {error}") from error

    fields = []
    wrapper_names = {parameter.name for parameter in WRAPPER_PARAMETERS}
    for field in dataclasses.fields(config_cls):
        if not field.init:
            continue  # not a constructor argument upstream either
        if field.name in wrapper_names:
            raise GenerationError(f"{where}: field {field.name!r} collides with a wrapper parameter")
        doc, declared_in = field_doc(config_cls, field.name)
        annotation = hints[field.name]
        try:
            upstream_value = _default_value(field)
            value = respell_to_annotation(upstream_value, annotation)
            default = None if value is dataclasses.MISSING else value_expr(value)
            plain = None if value is dataclasses.MISSING else plain_value(value)
        except UnrenderableValue as error:
            raise GenerationError(f"{where}: default of field {field.name!r}: {error}") from error
        fields.append(
            ParameterSpec(
                name=field.name,
                annotation=type_expr(annotation),
                default=default,
                doc=doc,
                declared_in=declared_in,
                plain_default=plain,
                respelled_from=None if value is upstream_value else repr(upstream_value),
            )
        )
    try:
        # A plugin's own dependencies come with the plugin; LeRobot's extras are for its own policies.
        extra = None if plugin is not None else policy_extra(config_cls)
    except ValueError as error:
        raise GenerationError(f"{where}: {error}") from error
    return PolicySpec(
        policy_type=policy_type,
        class_name=config_cls.__name__.removesuffix("Config"),
        module_name=policy_type,
        config=ImportRef(config_ref.module, config_ref.name),
        description=class_docs(config_cls).description,
        parameters=(*fields, *WRAPPER_PARAMETERS),
        extra=extra,
        plugin=plugin,
    )


def _default_value(field: dataclasses.Field[object]) -> object:
    """The field's default (calling its factory), or ``dataclasses.MISSING`` when it has none."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def respell_to_annotation(value: object, annotation: object) -> object:
    """A bool default of a numeric field as the equal number (``False`` -> ``0``); anything else as is.

    ``ACTConfig.replace_final_stride_with_dilation: int = False`` type-checks (bool is an int), but
    jsonargparse refuses a bool for an int, so the CLI could not even print such a config.
    """
    if not isinstance(value, bool):
        return value
    members = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    if bool in members or typing.Any in members:
        return value
    for number in (int, float):
        if number in members:
            return number(value)
    return value


def plain_value(value: object) -> PlainValue:
    """A default as plain data, as JSON writes it: what draccus (and so jsonargparse and YAML) parses back
    to the same value. draccus writes str-enums by name and tuples as lists, as its parser reads them."""
    try:
        plain: PlainValue = json.loads(json.dumps(draccus.encode(_sets_sorted(value)), sort_keys=False))
    except (TypeError, ValueError) as error:
        raise UnrenderableValue(f"no plain form for {value!r}: {error}") from error
    return plain


def _sets_sorted(value: object) -> object:
    """Sets as sorted lists: their iteration order changes from run to run, the output must not."""
    if isinstance(value, set | frozenset):
        return sorted((_sets_sorted(item) for item in value), key=repr)
    if isinstance(value, dict):
        return {key: _sets_sorted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_sets_sorted(item) for item in value) if type(value) in (list, tuple) else value
    return value
