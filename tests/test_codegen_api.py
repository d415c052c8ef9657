"""The generator's data beyond the wrappers: extras, the API snapshot and changelog, its error paths."""

from __future__ import annotations

import dataclasses
import importlib
import json
import sys
import textwrap
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from lerobot.policies.diffusion.configuration_diffusion import DiffusionConfig
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from getiaction._lerobot.extras import lerobot_extras
from getiaction.codegen import cli
from getiaction.codegen.changelog import compare, load_snapshot, markdown
from getiaction.codegen.exprs import ImportRef, NamedType
from getiaction.codegen.extras import policy_extra, required_extras
from getiaction.codegen.format import RenderError, format_python
from getiaction.codegen.introspect import GenerationError, build_policy_spec, own_spec
from getiaction.codegen.ir import GeneratedFile, GenerationSpec, ParameterSpec, PolicySpec
from getiaction.codegen.layout import own_layout
from getiaction.codegen.render import render_all
from getiaction.policies.lerobot import LEROBOT_VERSION, POLICY_CLASSES, POLICY_EXTRAS

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "codegen_fixtures"
GOLDEN = Path(__file__).parent / "golden"


# --- extras ---------------------------------------------------------------------------------------


def test_every_extra_is_one_of_lerobots_and_mirrored_pinned_in_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    assert set(POLICY_EXTRAS) <= set(POLICY_CLASSES)
    for policy_type, extra in POLICY_EXTRAS.items():
        assert extra in lerobot_extras(), f"{policy_type}: lerobot has no extra {extra!r}"
        (requirement,) = map(Requirement, extras[extra])
        assert requirement.name == "lerobot" and requirement.extras == {extra}, extras[extra]
        assert str(requirement.specifier) == f"=={LEROBOT_VERSION}"
    (everything,) = map(Requirement, extras["all"])
    assert everything.name == "getiaction" and everything.extras == set(POLICY_EXTRAS.values())


def test_policies_without_an_extra_need_only_the_base_install() -> None:
    # act, diffusion (lerobot[diffusion] is in the base), tdmpc, vqbet, gaussian_actor.
    assert set(POLICY_CLASSES) - set(POLICY_EXTRAS) == {
        "act",
        "diffusion",
        "gaussian_actor",
        "tdmpc",
        "vqbet",
    }


def test_required_extras_reads_require_package_calls() -> None:
    source = textwrap.dedent(
        """
        from lerobot.utils.import_utils import require_package
        import lerobot.utils.import_utils as utils
        require_package("transformers", extra="smolvla")
        utils.require_package("peft", extra="peft")
        other("x", extra="not-this-one")
        """
    )
    assert required_extras(source) == {"smolvla", "peft"}


def _config_in_package(tmp_path: Path, name: str, body: str) -> type:
    package = tmp_path / name
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "configuration.py").write_text(
        "import dataclasses\n\n@dataclasses.dataclass\nclass FakeConfig:\n    x: int = 0\n"
    )
    (package / "modeling.py").write_text(body)
    sys.path.insert(0, str(tmp_path))
    try:
        return importlib.import_module(f"{name}.configuration").FakeConfig  # type: ignore[no-any-return]
    finally:
        sys.path.remove(str(tmp_path))


def test_policy_extra_names_lerobots_extra_and_refuses_ambiguity(tmp_path: Path) -> None:
    one = _config_in_package(tmp_path, "pkg_one", 'require_package("transformers", extra="smolvla")\n')
    assert policy_extra(one) == "smolvla"
    base = _config_in_package(tmp_path, "pkg_base", 'require_package("diffusers", extra="diffusion")\n')
    assert policy_extra(base) is None  # getiaction's base install has lerobot[diffusion]
    two = _config_in_package(
        tmp_path, "pkg_two", 'require_package("a", extra="pi")\nrequire_package("b", extra="groot")\n'
    )
    with pytest.raises(ValueError, match="several extras"):
        policy_extra(two)
    unknown = _config_in_package(tmp_path, "pkg_unknown", 'require_package("a", extra="no-such-extra")\n')
    with pytest.raises(ValueError, match="does not provide"):
        policy_extra(unknown)
    assert canonicalize_name("lingbot_va") == POLICY_EXTRAS["lingbot_va"]


# --- API snapshot and changelog -------------------------------------------------------------------


def test_changelog_between_two_snapshots() -> None:
    changelog = compare(
        load_snapshot(FIXTURES / "snapshot_old.json"), load_snapshot(FIXTURES / "snapshot_new.json")
    )
    assert changelog.counts == {
        "policies_added": 1,
        "policies_removed": 1,
        "fields_added": 1,
        "fields_removed": 1,
        "fields_retyped": 1,
        "defaults_changed": 1,
        "docs_changed": 1,
    }
    text = markdown(changelog)
    assert text.startswith("## LeRobot API changes: 1.0.0 -> 2.0.0\n")
    assert "**Policies added:** `gamma`" in text and "**Policies removed:** `gone`" in text
    assert "- default of `horizon`: `16` -> `64`" in text
    assert "- retyped `crop_shape`: `tuple[int, int]` -> `tuple[int, int] | None`" in text
    assert "- added `n_action_steps`" in text and "- removed `legacy_flag`" in text
    assert "### `beta`" not in text  # unchanged policies are not listed


def test_changelog_from_lerobot_0_5_1_to_0_6_1_lists_the_real_drift() -> None:
    # The 0.5.1 snapshot was written by `nox -s upgrade -- 0.5.1` (the generator run against that release).
    old = load_snapshot(FIXTURES / "api_snapshot_0.5.1.json")
    changelog = compare(old, load_snapshot(ROOT / "codegen" / "api_snapshot.json"))
    counts = changelog.counts
    assert (counts["policies_added"], counts["policies_removed"]) == (7, 3)
    assert changelog.removed == ("reward_classifier", "sac", "sarm")
    assert (counts["fields_added"], counts["fields_retyped"], counts["defaults_changed"]) == (23, 2, 16)
    diffusion = next(change for change in changelog.changed if change.policy_type == "diffusion")
    assert ("horizon", "16", "64") in diffusion.defaults and (
        "n_action_steps",
        "8",
        "32",
    ) in diffusion.defaults
    groot = next(change for change in changelog.changed if change.policy_type == "groot")
    assert (len(groot.added), len(groot.retyped), len(groot.defaults)) == (10, 2, 9)


def test_committed_snapshot_mirrors_the_installed_lerobot() -> None:
    committed = load_snapshot(ROOT / "codegen" / "api_snapshot.json")
    assert committed["lerobot_version"] == LEROBOT_VERSION
    assert set(committed["policies"]) == set(POLICY_CLASSES)
    assert committed["policies"]["diffusion"]["fields"]["horizon"]["default"] == "64"


@dataclasses.dataclass
class OlderDiffusionConfig(DiffusionConfig):
    """Diffusion with lerobot 0.4.4's defaults, the drift that broke hand-written wrappers."""

    horizon: int = 16
    n_action_steps: int = 8


def test_an_upstream_default_that_drifts_reaches_the_wrapper_and_the_changelog() -> None:
    spec = GenerationSpec(LEROBOT_VERSION, (build_policy_spec("diffusion", OlderDiffusionConfig),))
    files = {file.path: file.content for file in render_all(spec, own_layout())}
    module = files["src/getiaction/policies/lerobot/diffusion.py"]
    assert "        horizon: int = 16,\n" in module and "        n_action_steps: int = 8,\n" in module
    assert "    horizon: 16\n" in files["configs/lerobot_diffusion.yaml"]
    committed = load_snapshot(ROOT / "codegen" / "api_snapshot.json")
    (change,) = compare(committed, json.loads(files["codegen/api_snapshot.json"])).changed
    assert ("horizon", "64", "16") in change.defaults and ("n_action_steps", "32", "8") in change.defaults
    assert change.other == (
        "config: 'lerobot.policies.diffusion.configuration_diffusion.DiffusionConfig' -> "
        "'test_codegen_api.OlderDiffusionConfig'",
    )


def test_changelog_command_against_an_old_snapshot(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = load_snapshot(ROOT / "codegen" / "api_snapshot.json")
    old["lerobot_version"] = "0.0.1"
    old["policies"]["diffusion"]["fields"]["horizon"]["default"] = "16"
    del old["policies"]["xvla"]
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))
    assert cli.own_main(["--changelog", str(path)], root=ROOT) == 0
    out = capsys.readouterr().out
    assert "## LeRobot API changes: 0.0.1 -> 0.6.1" in out
    assert "**Policies added:** `xvla`" in out and "- default of `horizon`: `16` -> `64`" in out

    assert cli.own_main(["--changelog"], root=ROOT) == 0  # against the committed snapshot: nothing changed
    assert "No API changes." in capsys.readouterr().out


def test_check_prints_the_api_summary_before_the_text_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rendered = render_all(own_spec(), own_layout())
    for file in rendered:
        target = tmp_path / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content, encoding="utf-8")
    snapshot_path = tmp_path / "codegen" / "api_snapshot.json"
    snapshot = json.loads(snapshot_path.read_text())
    snapshot["policies"]["act"]["fields"]["dim_model"]["default"] = "256"
    snapshot_path.write_text(json.dumps(snapshot, indent=2) + "\n")
    assert cli.own_main(["--check", "--root", str(tmp_path)], root=ROOT) == 1
    out = capsys.readouterr().out
    summary = out.index("- default of `dim_model`: `256` -> `512`")
    assert summary < out.index("--- a/codegen/api_snapshot.json (committed)")


# --- generator error paths -----------------------------------------------------------------------


@dataclasses.dataclass
class StatsCollisionConfig:
    stats: int = 0


@dataclasses.dataclass
class UnresolvableConfig:
    later: NoSuchType = 0  # type: ignore[name-defined]  # noqa: F821


def _local_config() -> type:
    @dataclasses.dataclass
    class LocalConfig:
        x: int = 0

    return LocalConfig


def _duplicate_class_names(monkeypatch: pytest.MonkeyPatch) -> Callable[[], object]:
    import getiaction.codegen.introspect

    monkeypatch.setattr(
        getiaction.codegen.introspect,
        "builtin_policies",
        lambda: {"one": StatsCollisionConfig, "two": StatsCollisionConfig},
    )
    monkeypatch.setattr(
        getiaction.codegen.introspect, "build_policy_spec", lambda key, cls: _spec(key, "Same")
    )
    return own_spec


def _spec(policy_type: str, class_name: str, *imports: ImportRef) -> PolicySpec:
    parameters = tuple(
        ParameterSpec(
            name=f"p{i}", annotation=NamedType(ref.name, ref), default=None, doc="", declared_in="X"
        )
        for i, ref in enumerate(imports)
    )
    return PolicySpec(policy_type, class_name, policy_type, ImportRef("m", "XConfig"), (), parameters)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (
            lambda mp: lambda: build_policy_spec("sample", _local_config()),
            GenerationError,
            "cannot be imported",
        ),
        (
            lambda mp: lambda: build_policy_spec("sample", UnresolvableConfig),
            GenerationError,
            "cannot resolve",
        ),
        (lambda mp: lambda: build_policy_spec("sample", StatsCollisionConfig), GenerationError, "collides"),
        (_duplicate_class_names, GenerationError, "same wrapper class name"),
        (
            lambda mp: (
                lambda: render_all(
                    _build_spec(_spec("x", "X", ImportRef("a", "Thing"), ImportRef("b", "Thing"))),
                    own_layout(),
                )
            ),
            RenderError,
            "ambiguous",
        ),
        (lambda mp: lambda: format_python([_broken_file()]), RenderError, "failed"),
    ],
    ids=[
        "not-importable",
        "unresolvable-annotation",
        "wrapper-collision",
        "duplicate-class",
        "ambiguous-import",
        "ruff",
    ],
)
def test_every_generator_error_path_names_its_cause(
    make: Callable[[pytest.MonkeyPatch], Callable[[], object]],
    error: type[Exception],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(error, match=message):
        make(monkeypatch)()


def test_unpinned_ruff_is_a_render_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import getiaction.codegen.format

    monkeypatch.setattr(getiaction.codegen.format.importlib.metadata, "version", lambda name: "0.0.1")
    with pytest.raises(
        RenderError, match=r"ruff==0\.17\.5, which getiaction's `generate` extra pins; ruff 0\.0\.1"
    ):
        format_python([])


@pytest.mark.parametrize("path", ["src/pkg/mod.py", "/abs/pkg/mod.py", "../pkg/mod.py", "a/../../pkg/mod.py"])
def test_every_output_path_is_formatted_inside_the_scratch_tree(path: str) -> None:
    # `getiaction generate --output ../pkg` lays files out above the working directory: their copies
    # must still be where ruff runs, or they come back unformatted.
    (formatted,) = format_python([GeneratedFile(path, "import os\nx  =  1\n")])
    assert formatted == GeneratedFile(path, "x = 1\n")


def test_the_pinned_ruff_is_the_one_the_generate_extra_and_the_lock_name() -> None:
    from getiaction.codegen.format import pinned_ruff

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    (ruff,) = [
        spec for spec in project["project"]["optional-dependencies"]["generate"] if spec.startswith("ruff")
    ]
    assert ruff == f"ruff=={pinned_ruff()}"
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    assert {package["version"] for package in lock["package"] if package["name"] == "ruff"} == {pinned_ruff()}


def _build_spec(policy: PolicySpec) -> GenerationSpec:
    return GenerationSpec(lerobot_version="0.0.0", policies=(policy,))


def _broken_file() -> Any:
    return GeneratedFile("broken.py", "def broken(:\n")
