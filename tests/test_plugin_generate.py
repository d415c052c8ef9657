"""``getiaction generate`` for a LeRobot policy plugin the tests write: the user's package, typed and checked.

The plugin (``plugin_fixture``: ACT with a gain, registered as ``toy``) is found as an installed
distribution on ``sys.path``; the package is generated into a project folder, as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from plugin_fixture import (
    BROKEN,
    OUTPUT,
    PACKAGE,
    TOY,
    TOY_HOMEPAGE,
    TOY_TYPE,
    TOY_VERSION,
    generate,
    importable,
    write_broken_plugin,
    write_plugin,
)

from getiaction.codegen.installed import PluginError, builtin_policies, plugin_policies
from getiaction.policies.lerobot import LEROBOT_VERSION, POLICY_CLASSES

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A user's project holding the toy's generated package, the plugin installed beside it."""
    base = tmp_path_factory.mktemp("plugin")
    site = write_plugin(base / "site")
    with importable(site):
        assert generate(base / "project") == 0
        yield base / "project"


def _files(project: Path) -> dict[str, str]:
    return {
        path.relative_to(project).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(project.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_package_holds_one_module_per_policy_its_init_configs_pages_and_snapshot(project: Path) -> None:
    files = _files(project)
    assert sorted(files) == [
        f"{OUTPUT}/__init__.py",
        f"{OUTPUT}/api_snapshot.json",
        f"{OUTPUT}/configs/lerobot_toy.yaml",
        f"{OUTPUT}/deviations.txt",
        f"{OUTPUT}/docs/README.md",
        f"{OUTPUT}/docs/toy.md",
        f"{OUTPUT}/toy.py",
    ]
    init, module = files[f"{OUTPUT}/__init__.py"], files[f"{OUTPUT}/toy.py"]
    assert 'POLICY_CLASSES: dict[str, str] = {\n    "toy": "Toy",\n}' in init
    assert f'"toy": ("{TOY}", "{TOY_VERSION}"),' in init
    assert "class Toy(LeRobotPolicyModule[ToyConfig]):" in module
    assert "        action_gain: float = 1.0,\n" in module  # the plugin's own field, after ACT's
    assert "        dim_model: int = 512,\n" in module
    # The headers name both releases, so an upgrade of either shows in the check.
    for text in files.values():
        assert f"lerobot=={LEROBOT_VERSION}, {TOY}=={TOY_VERSION}" in text[:300]
    snapshot = json.loads(files[f"{OUTPUT}/api_snapshot.json"])
    assert snapshot["plugins"] == {TOY: TOY_VERSION} and snapshot["policies"][TOY_TYPE]["plugin"] == TOY


def test_the_pages_describe_the_plugin_not_lerobot(project: Path) -> None:
    files = _files(project)
    page = files[f"{OUTPUT}/docs/toy.md"]
    assert "# `Toy`: the `toy` policy of the `lerobot_policy_toy` plugin" in page
    assert f"from {PACKAGE} import Toy" in page
    assert f"The plugin's homepage: <{TOY_HOMEPAGE}>." in page
    assert f"Install: `pip install '{TOY}=={TOY_VERSION}'`" in page
    assert "github.com/huggingface/lerobot" not in page and "LeRobot's `toy`" not in page
    assert "| `action_gain` | `float` | `1.0` | Factor on every action the policy predicts. |" in page
    config = files[f"{OUTPUT}/configs/lerobot_toy.yaml"]
    assert f"class_path: {PACKAGE}.Toy" in config and f"# Needs the plugin: pip install '{TOY}==" in config
    index = files[f"{OUTPUT}/docs/README.md"]
    assert f'toyproj_policies = "{PACKAGE}"' in index and '"lerobot_policy_toy.*"' in index


def test_the_package_passes_mypy_strict_and_pyright_without_configuration(project: Path) -> None:
    site = project.parent / "site"
    environment = {
        **os.environ,
        "PYTHONPATH": str(site),  # the plugin, as installed: mypy asks the interpreter for its paths
        "MYPYPATH": str(project / "src"),
        "MYPY_CACHE_DIR": str(ROOT / ".mypy_cache" / "user-project"),
    }
    mypy = [sys.executable, "-m", "mypy", "--strict", "-p", PACKAGE]
    result = subprocess.run(mypy, capture_output=True, text=True, cwd=project, env=environment, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    config = {"include": ["src"], "extraPaths": [str(site)], "typeCheckingMode": "standard"}
    config |= {"venvPath": str(ROOT), "venv": ".venv", "pythonVersion": "3.12"}
    (project / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    try:
        result = subprocess.run(
            [str(BIN / "basedpyright")], capture_output=True, text=True, cwd=project, check=False
        )
    finally:
        (project / "pyrightconfig.json").unlink()
    assert result.returncode == 0 and "0 errors" in result.stdout, result.stdout + result.stderr


def test_check_passes_in_sync_and_catches_a_plugin_field_change(project: Path, tmp_path: Path) -> None:
    copy = tmp_path / "project"
    shutil.copytree(project, copy)
    command = [str(BIN / "getiaction"), "generate", "--plugin", TOY, "--package", PACKAGE, "--output", OUTPUT]

    def check(site: Path) -> subprocess.CompletedProcess[str]:
        environment = {**os.environ, "PYTHONPATH": str(site)}
        return subprocess.run(
            [*command, "--check"], capture_output=True, text=True, cwd=copy, env=environment, check=False
        )

    in_sync = check(project.parent / "site")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    upgraded = write_plugin(tmp_path / "site", version="0.2.0", extra_fields="warmup_steps: int = 0")
    drifted = check(upgraded)
    assert drifted.returncode == 1, drifted.stdout + drifted.stderr
    releases = f"lerobot {LEROBOT_VERSION}, {TOY}"
    assert f"## API changes: {releases} {TOY_VERSION} -> {releases} 0.2.0" in drifted.stdout
    assert "- added `warmup_steps`" in drifted.stdout
    assert "+        warmup_steps: int = 0,\n" in drifted.stdout
    assert f"regenerate with `getiaction generate --plugin {TOY}" in drifted.stderr


def test_a_plugin_that_does_not_import_is_one_line_and_can_be_left_out(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = write_broken_plugin(tmp_path / "broken")
    with importable(broken, project.parent / "site"):
        assert generate(tmp_path / "other", "--plugin", BROKEN, "--plugin", TOY) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(f"getiaction generate: error: plugin {BROKEN} does not import: ImportError: ")
        assert "ACTConfigOfAnotherRelease" in line and line.endswith("(or leave it out: --skip-broken)")
        assert generate(tmp_path / "other", "--plugin", BROKEN, "--plugin", TOY, "--skip-broken") == 0
        assert f"skipped: plugin {BROKEN} does not import" in capsys.readouterr().err
    assert sorted(_files(tmp_path / "other")) == sorted(_files(project))


def test_names_that_are_no_installed_plugin_are_refused_by_name() -> None:
    with pytest.raises(PluginError, match="lerobot_policy_absent is not installed"):
        plugin_policies("lerobot_policy_absent")
    with pytest.raises(PluginError, match="torch is not a LeRobot policy plugin"):
        plugin_policies("torch")


def test_getiactions_own_run_renders_the_builtin_policies_whatever_is_installed(project: Path) -> None:
    from lerobot.configs.policies import PreTrainedConfig

    assert TOY_TYPE in PreTrainedConfig.get_known_choices()  # imported by the generation above
    own = builtin_policies()
    assert sorted(own) == sorted(POLICY_CLASSES)
    assert all(config.__module__.startswith("lerobot.policies.") for config in own.values())
