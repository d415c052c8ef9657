"""``python -m codegen --check``: in sync on a clean checkout, loud and specific on any drift."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from getiaction.codegen import cli, sync
from getiaction.codegen.introspect import GenerationError, build_policy_spec, own_spec
from getiaction.codegen.ir import GeneratedFile
from getiaction.codegen.layout import GENERATED_MARKER, own_layout
from getiaction.codegen.render import render_all

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYOUT = own_layout()


@pytest.fixture(scope="module")
def rendered() -> list[GeneratedFile]:
    return render_all(own_spec(), LAYOUT)


@pytest.fixture
def checkout(tmp_path: Path, rendered: list[GeneratedFile]) -> Path:
    """A scratch root holding a copy of the committed generated files."""
    for file in rendered:
        target = tmp_path / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO_ROOT / file.path, target)
    return tmp_path


def run_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", "--check", "--root", str(root)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_committed_output_is_in_sync(rendered: list[GeneratedFile]) -> None:
    drift = sync.compare(rendered, REPO_ROOT, LAYOUT)
    assert drift.in_sync, sync.unified_diff(drift, REPO_ROOT)


def test_check_fails_naming_a_hand_edited_default(checkout: Path) -> None:
    act = checkout / "src/getiaction/policies/lerobot/act.py"
    act.write_text(act.read_text().replace("dim_model: int = 512", "dim_model: int = 1024"))
    result = run_check(checkout)
    assert result.returncode == 1
    assert "src/getiaction/policies/lerobot/act.py" in result.stdout
    assert "-        dim_model: int = 1024," in result.stdout
    assert "+        dim_model: int = 512," in result.stdout
    assert "src/getiaction/policies/lerobot/act.py" in result.stderr  # the summary names it too


def test_check_passes_on_an_untouched_copy(checkout: Path) -> None:
    result = run_check(checkout)
    assert result.returncode == 0, result.stdout + result.stderr


def test_missing_and_stale_files_are_named(checkout: Path, rendered: list[GeneratedFile]) -> None:
    (checkout / "src/getiaction/policies/lerobot/diffusion.py").unlink()
    stale = checkout / "src/getiaction/policies/lerobot/sac.py"
    stale.write_text(f"{GENERATED_MARKER} from lerobot==0.4.4.\n")
    hand_written = checkout / "src/getiaction/policies/lerobot/_helpers.py"
    hand_written.write_text("# not generated\n")

    drift = sync.compare(rendered, checkout, LAYOUT)
    assert [file.path for file in drift.missing] == ["src/getiaction/policies/lerobot/diffusion.py"]
    assert drift.stale == ("src/getiaction/policies/lerobot/sac.py",)
    diff = sync.unified_diff(drift, checkout)
    assert "b/src/getiaction/policies/lerobot/diffusion.py (missing)" in diff
    assert "a/src/getiaction/policies/lerobot/sac.py (stale)" in diff

    sync.write(drift, checkout)  # regenerating repairs both and leaves hand-written files alone
    assert sync.compare(rendered, checkout, LAYOUT).in_sync
    assert hand_written.exists() and not stale.exists()


def test_changed_fallback_list_fails_the_check(checkout: Path, rendered: list[GeneratedFile]) -> None:
    fallbacks = checkout / "codegen/deviations.txt"
    fallbacks.write_text(fallbacks.read_text() + "act.dim_model: SomethingNew\n")
    drift = sync.compare(rendered, checkout, LAYOUT)
    assert [file.path for file in drift.changed] == ["codegen/deviations.txt"]


def test_generator_errors_exit_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> None:
        raise GenerationError("policy 'x': default of field 'y': no rule writes a Foo value as source")

    import getiaction.codegen.introspect

    monkeypatch.setattr(getiaction.codegen.introspect, "own_spec", broken)
    assert cli.own_main(["--check"], root=REPO_ROOT) == 2
    assert "no rule writes a Foo value" in capsys.readouterr().err


@dataclasses.dataclass
class UnrenderableConfig:
    hook: object = dataclasses.field(default_factory=object)


@dataclasses.dataclass
class BadNameSettings:
    x: int = 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: build_policy_spec("bad", UnrenderableConfig), "default of field 'hook'"),
        (lambda: build_policy_spec("bad", BadNameSettings), "must end with 'Config'"),
        (lambda: build_policy_spec("not-an-identifier", UnrenderableConfig), "not a valid module name"),
    ],
)
def test_unrenderable_configs_are_generation_errors(make: Callable[[], object], message: str) -> None:
    with pytest.raises(GenerationError, match=message):
        make()
