"""The committed wrappers against the installed LeRobot, policy by policy (all 19 in 0.6.1).

Names, annotations and defaults of every parameter must equal the upstream config's; these tests
read the live registry, so they fail on a LeRobot upgrade until the wrappers are regenerated.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from pathlib import Path
from typing import Any

import pytest

import getiaction.policies.lerobot as wrappers
from getiaction.codegen.installed import builtin_policies

REGISTRY = builtin_policies()
DEVIATIONS_FILE = Path(__file__).parent.parent / "codegen" / "deviations.txt"
# Default configs that reach the hub on construction (EO1Config downloads its VLM's config).
NEEDS_HUB_TO_CONSTRUCT = {"eo1"}


def _recorded(respelled: bool) -> set[tuple[str, str]]:
    """(policy, field) pairs listed in the committed deviations: respelled defaults (``a -> b``), or type
    fallbacks."""
    lines = [
        line for line in DEVIATIONS_FILE.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"
    ]
    entries = [line.split(":")[0] for line in lines if ("->" in line) == respelled]
    return {(entry.split(".", 1)[0], entry.split(".", 1)[1]) for entry in entries}


def recorded_fallbacks() -> set[tuple[str, str]]:
    return _recorded(respelled=False)


def recorded_respelled_defaults() -> set[tuple[str, str]]:
    return _recorded(respelled=True)


def wrapper_for(policy_type: str) -> type:
    return getattr(wrappers, wrappers.POLICY_CLASSES[policy_type])  # type: ignore[no-any-return]


def test_every_registered_policy_has_a_wrapper() -> None:
    assert sorted(wrappers.POLICY_CLASSES) == sorted(REGISTRY)  # 19 in lerobot 0.6.1
    for policy_type, config_class in REGISTRY.items():
        wrapper = wrapper_for(policy_type)
        assert wrapper.__name__ == config_class.__name__.removesuffix("Config")
        assert wrapper.config_class is config_class
        assert wrapper.__name__ in wrappers.__all__


def _equivalent(wrapper_type: object, upstream_type: object) -> bool:
    """Equal, or the same type spelled with explicit Any parameters (bare ``tuple`` -> ``tuple[Any, ...]``)."""
    if wrapper_type == upstream_type:
        return True
    bare = {tuple: tuple[Any, ...], dict: dict[Any, Any], list: list[Any]}
    if _hashable(upstream_type) and upstream_type in bare:
        return bool(wrapper_type == bare[upstream_type])  # type: ignore[index]
    w_args, u_args = typing.get_args(wrapper_type), typing.get_args(upstream_type)
    same_origin = typing.get_origin(wrapper_type) == typing.get_origin(upstream_type)
    return same_origin and len(w_args) == len(u_args) and all(map(_equivalent, w_args, u_args))


def _hashable(value: object) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@pytest.mark.parametrize("policy_type", sorted(REGISTRY))
def test_signature_mirrors_the_upstream_config(policy_type: str) -> None:
    config_class = REGISTRY[policy_type]
    wrapper = wrapper_for(policy_type)
    upstream_fields = [f for f in dataclasses.fields(config_class) if f.init]
    upstream_hints = typing.get_type_hints(config_class)
    parameters = inspect.signature(wrapper.__init__).parameters
    wrapper_hints = typing.get_type_hints(wrapper.__init__)
    fallbacks = recorded_fallbacks()

    assert list(parameters) == ["self", *(f.name for f in upstream_fields), "stats", "rename_map", "peft"]
    for field in upstream_fields:
        parameter = parameters[field.name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        if field.default is not dataclasses.MISSING:
            expected = field.default
        elif field.default_factory is not dataclasses.MISSING:
            expected = field.default_factory()
        else:
            expected = inspect.Parameter.empty
        assert parameter.default == expected, f"{policy_type}.{field.name} default"
        if (policy_type, field.name) in recorded_respelled_defaults():
            assert isinstance(expected, bool) and type(parameter.default) in (int, float)
        else:
            assert type(parameter.default) is type(expected), f"{policy_type}.{field.name} default type"
        if (policy_type, field.name) in fallbacks:
            assert "Any" in str(wrapper_hints[field.name]), f"{policy_type}.{field.name} fallback"
        else:
            assert _equivalent(wrapper_hints[field.name], upstream_hints[field.name]), (
                f"{policy_type}.{field.name}: {wrapper_hints[field.name]} != {upstream_hints[field.name]}"
            )


@pytest.mark.parametrize("policy_type", sorted(set(REGISTRY) - NEEDS_HUB_TO_CONSTRUCT))
def test_default_wrapper_config_equals_default_upstream_config(policy_type: str) -> None:
    wrapper = wrapper_for(policy_type)
    first, second = wrapper(), wrapper()
    assert first.config == REGISTRY[policy_type]()
    assert type(first.config) is REGISTRY[policy_type]
    # No two instances share a mutable default, and the signature's defaults stay untouched.
    for field in dataclasses.fields(first.config):
        value = getattr(first.config, field.name)
        if isinstance(value, dict | list | set) or dataclasses.is_dataclass(value):
            assert value is not getattr(second.config, field.name), f"{policy_type}.{field.name} shared"
    defaults = {name: p.default for name, p in inspect.signature(wrapper.__init__).parameters.items()}
    if isinstance(first.config.normalization_mapping, dict):
        first.config.normalization_mapping["MUTATED"] = None
        assert "MUTATED" not in defaults["normalization_mapping"]


def test_eo1_default_config_needs_the_hub_upstream_too() -> None:
    with pytest.raises(Exception) as upstream:
        REGISTRY["eo1"]()
    with pytest.raises(type(upstream.value)):
        wrapper_for("eo1")()


@pytest.mark.parametrize("policy_type", sorted(REGISTRY))
def test_every_parameter_is_documented(policy_type: str) -> None:
    doc = inspect.getdoc(wrapper_for(policy_type)) or ""
    args = doc.split("\nArgs:\n", 1)[1]
    upstream = [f.name for f in dataclasses.fields(REGISTRY[policy_type]) if f.init]
    for name in [*upstream, "stats", "rename_map", "peft"]:
        assert f"\n    {name}: " in f"\n{args}", f"{policy_type}: {name} missing from the docstring"


def test_upstream_docs_reach_the_wrappers() -> None:
    doc = inspect.getdoc(wrappers.ACT) or ""
    assert "dim_model: The transformer blocks' main hidden dimension." in doc
    assert "n_obs_steps: Number of environment steps worth of observations" in doc
    diffusion_doc = inspect.getdoc(wrappers.Diffusion) or ""
    assert "horizon: Diffusion model action prediction size" in diffusion_doc
    pi0_doc = inspect.getdoc(wrappers.PI0) or ""
    assert 'dtype: Options: "bfloat16", "float32"' in pi0_doc  # a comment beside the field


def test_editor_completion_offers_config_parameters() -> None:
    jedi = pytest.importorskip("jedi")
    root = Path(__file__).parent.parent
    code = "from getiaction.policies.lerobot import ACT\nACT(dim_"
    script = jedi.Script(code, path=root / "example.py", project=jedi.Project(root))
    completions = {c.name_with_symbols for c in script.complete(2, len("ACT(dim_"))}
    assert {"dim_model=", "dim_feedforward="} <= completions


def test_respelled_defaults_are_recorded() -> None:
    assert ("act", "replace_final_stride_with_dilation") in recorded_respelled_defaults()
    parameter = inspect.signature(wrappers.ACT.__init__).parameters["replace_final_stride_with_dilation"]
    assert parameter.default == 0 and parameter.default is not False
    assert (
        wrappers.ACT().config.replace_final_stride_with_dilation
        == REGISTRY["act"]().replace_final_stride_with_dilation
    )
