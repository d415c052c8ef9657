"""A plugin's policy at run time: its generated class against the native plugin policy, and how every way in
(``LeRobotPolicy``, ``from_pretrained``, checkpoints, the CLI) resolves the plugin's type.

Three plugins the tests write (``plugin_fixture``): ``toy`` with a generated package, ``other`` with none
(the universal wrapper holds it), ``needy`` whose model needs a module that is not installed. Equivalence
is proven with the helpers of ``test_equivalence``: LeRobot's own ``make_policy``, processors and
``lerobot_train.update_policy``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import test_equivalence as equivalence
import torch
from lerobot.policies.factory import get_policy_class, make_policy_config
from plugin_fixture import (
    OUTPUT,
    PACKAGE,
    TOY,
    TOY_CONFIG,
    TOY_TYPE,
    TOY_VERSION,
    generate,
    importable,
    write_plugin,
)
from safetensors.torch import save_file
from tiny import REPO_ID

from getiaction._lerobot.compat import LeRobotDatasetMetadata, dataset_to_policy_features
from getiaction.cli import run_cli
from getiaction.errors import ConfigTypeError, MissingExtraError, SavedPolicyError
from getiaction.policies.lerobot import LeRobotPolicy, LeRobotPolicyModule
from getiaction.policies.lerobot._universal import wrapper_class

TOY_SIZES = {key: value for key, value in TOY_CONFIG.items() if key != "action_gain"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The toy's generated package in a project (declared as a ``getiaction.wrappers`` entry point), the
    three plugins installed beside it."""
    base = tmp_path_factory.mktemp("plugins")
    site = write_plugin(base / "site")
    write_plugin(site, "lerobot_policy_other", policy_type="other")
    write_plugin(
        site, "lerobot_policy_needy", policy_type="needy", modeling_imports="import not_installed_dep"
    )
    project = base / "project"
    with importable(site, project / "src"):
        assert generate(project) == 0
        entry_points = project / "src" / "toyproj-0.0.0.dist-info"
        entry_points.mkdir()
        (entry_points / "METADATA").write_text("Metadata-Version: 2.1\nName: toyproj\nVersion: 0.0.0\n")
        (entry_points / "entry_points.txt").write_text(
            f"[getiaction.wrappers]\ntoyproj_policies = {PACKAGE}\n"
        )
        yield project


@pytest.fixture
def toy(project: Path, monkeypatch: pytest.MonkeyPatch) -> type[LeRobotPolicyModule[Any]]:
    """The generated class, which the equivalence helpers build for the toy's type."""
    from toyproj.policies import Toy

    monkeypatch.setattr(equivalence, "wrapper_class", lambda policy_type: Toy)
    return Toy


def _features(meta: LeRobotDatasetMetadata) -> dict[str, Any]:
    features = dataset_to_policy_features(meta.features)
    return {"input_features": features, "output_features": features, "stats": meta.stats}


def test_select_action_equals_the_native_plugin_policy(
    toy: type[LeRobotPolicyModule[Any]], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    _, native, preprocessor, postprocessor = equivalence.build_native(TOY_TYPE, tiny_meta, TOY_CONFIG)
    assert type(native).__name__ == "ToyPolicy" and native.config.action_gain == 2.0
    wrapped = equivalence.build_wrapper(TOY_TYPE, tiny_meta, TOY_CONFIG)
    assert type(wrapped) is toy
    steps = equivalence.observations(tiny_dataset_root)
    equivalence.assert_acts_like_native(native, preprocessor, postprocessor, wrapped, steps)


def test_three_training_steps_equal_lerobot_train(
    toy: type[LeRobotPolicyModule[Any]], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    config = make_policy_config(TOY_TYPE, **TOY_CONFIG)
    batches = equivalence.fixed_batches(config, tiny_meta, tiny_dataset_root)
    native_losses, native = equivalence.train_natively(TOY_TYPE, tiny_meta, batches, TOY_CONFIG)
    losses, wrapped = equivalence.train_with_lightning(TOY_TYPE, tiny_meta, batches, TOY_CONFIG)
    assert len(losses) == equivalence.TRAIN_STEPS and losses == native_losses
    assert type(wrapped) is toy and wrapped.lerobot_policy is not None
    equivalence.assert_same_weights(native, wrapped.lerobot_policy)


def test_the_universal_wrapper_and_from_pretrained_resolve_to_the_generated_class(
    toy: type[LeRobotPolicyModule[Any]], tiny_meta: LeRobotDatasetMetadata, tmp_path: Path
) -> None:
    assert wrapper_class(TOY_TYPE) is toy
    universal = LeRobotPolicy(TOY_TYPE, **_features(tiny_meta), **TOY_CONFIG)
    assert type(universal.config) is toy.config_class and universal.config.action_gain == 2.0
    assert universal.hparams["_class_path"] == f"{PACKAGE}.Toy"  # checkpoints name the generated class
    saved = universal.save_pretrained(tmp_path / "saved")
    again = LeRobotPolicy.from_pretrained(saved)
    explicit = toy.from_pretrained(saved)
    assert again.policy_name == TOY_TYPE and again.hparams["_class_path"] == f"{PACKAGE}.Toy"
    assert universal.lerobot_policy is not None and explicit.lerobot_policy is not None
    equivalence.assert_same_weights(universal.lerobot_policy, explicit.lerobot_policy)
    native = get_policy_class(TOY_TYPE).from_pretrained(saved)  # the plugin's own ToyPolicy loads the save
    equivalence.assert_same_weights(native, explicit.lerobot_policy)
    with pytest.raises(
        ConfigTypeError, match=r"unexpected keyword argument 'action_gian'.*Did you mean: action_gain"
    ):
        LeRobotPolicy(TOY_TYPE, action_gian=1.0)


def _data_args(root: Path, out: Path) -> list[str]:
    return [
        f"--data.init_args.repo_id={REPO_ID}",
        f"--data.init_args.root={root}",
        "--data.init_args.num_workers=0",
        "--data.init_args.batch_size=4",
        "--data.init_args.eval_split=0.3",
        "--trainer.max_steps=2",
        "--trainer.accelerator=cpu",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        f"--trainer.default_root_dir={out}",
    ]


def test_the_cli_fits_the_generated_class_from_its_generated_config(
    toy: type[LeRobotPolicyModule[Any]], project: Path, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    sizes = [f"--model.init_args.{key}={json.dumps(value)}" for key, value in TOY_CONFIG.items()]
    config = project / OUTPUT / "configs" / "lerobot_toy.yaml"
    cli = run_cli(["fit", "--config", str(config), *sizes, *_data_args(tiny_dataset_root, tmp_path)])
    assert type(cli.model) is toy and cli.model.config.action_gain == 2.0
    assert torch.isfinite(cli.trainer.callback_metrics["train/loss"])
    (checkpoint,) = tmp_path.rglob("*.ckpt")
    validate = ["validate", "--config", str(config), "--ckpt_path", str(checkpoint)]
    validated = run_cli([*validate, *_data_args(tiny_dataset_root, tmp_path)])
    assert type(validated.model) is toy and validated.model.config.action_gain == 2.0  # from the checkpoint


def test_a_plugin_policy_no_package_wraps_trains_on_the_universal_wrapper_and_reloads(
    project: Path, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    spec = {"class_path": "getiaction.policies.lerobot.LeRobotPolicy", "init_args": {"policy_name": "other"}}
    spec["init_args"] |= TOY_SIZES
    config = tmp_path / "other.yaml"
    config.write_text(json.dumps({"model": spec}), encoding="utf-8")
    cli = run_cli(["fit", "--config", str(config), *_data_args(tiny_dataset_root, tmp_path / "fit")])
    assert isinstance(cli.model, LeRobotPolicy) and type(cli.model.config).__name__ == "OtherConfig"
    assert cli.model.hparams["policy_name"] == "other"
    (checkpoint,) = (tmp_path / "fit").rglob("*.ckpt")
    loaded = LeRobotPolicy.load_from_checkpoint(checkpoint, weights_only=True)
    assert loaded.policy_name == "other" and cli.model.lerobot_policy is not None
    assert loaded.lerobot_policy is not None
    equivalence.assert_same_weights(cli.model.lerobot_policy, loaded.lerobot_policy)
    validate = ["validate", "--config", str(config), "--ckpt_path", str(checkpoint)]
    validated = run_cli([*validate, *_data_args(tiny_dataset_root, tmp_path)])
    assert isinstance(validated.model, LeRobotPolicy) and validated.model.policy_name == "other"
    assert validated.model.config == cli.model.config


def test_hints_name_the_plugin_that_registers_a_type(project: Path, tmp_path: Path) -> None:
    features = {
        "observation.state": {"type": "STATE", "shape": [2]},
        "action": {"type": "ACTION", "shape": [2]},
    }
    with pytest.raises(MissingExtraError) as missing:
        LeRobotPolicy("needy", input_features=features, output_features=features, **TOY_SIZES)
    assert "'not_installed_dep' is not installed" in str(missing.value)
    assert "pip install 'lerobot_policy_needy==0.1.0' (the plugin that registers 'needy')" in str(
        missing.value
    )
    saved = tmp_path / "gone"
    saved.mkdir()
    (saved / "config.json").write_text(json.dumps({"type": "gone"}), encoding="utf-8")
    save_file({"weight": torch.zeros(1)}, str(saved / "model.safetensors"))
    for name in ("policy_preprocessor.json", "policy_postprocessor.json"):
        (saved / name).write_text("{}", encoding="utf-8")
    with pytest.raises(SavedPolicyError, match=r"'gone' is not one lerobot .* knows .*LeRobot policy plugin"):
        LeRobotPolicy.from_pretrained(saved)


def _run(code: str, *paths: Path) -> list[str]:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, paths))}
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()


def test_another_or_no_plugin_release_is_an_error_naming_the_plugin(
    project: Path, tiny_meta: LeRobotDatasetMetadata, tmp_path: Path
) -> None:
    saved = LeRobotPolicy(TOY_TYPE, **_features(tiny_meta), **TOY_SIZES).save_pretrained(tmp_path / "saved")
    upgraded = write_plugin(tmp_path / "upgraded", version="0.2.0")
    upgrade, lerobot = _run(
        """
        import importlib.metadata
        import toyproj.policies
        for lerobot in (None, "0.7.0"):  # the plugin upgraded; then LeRobot too
            if lerobot:
                real = importlib.metadata.version
                importlib.metadata.version = lambda name: lerobot if name == "lerobot" else real(name)
            try:
                toyproj.policies.Toy
            except ImportError as error:
                print(type(error).__name__, error)
        """,
        upgraded,
        project / "src",
    )
    assert upgrade.startswith(f"LeRobotVersionError {PACKAGE}'s Toy was generated from {TOY}=={TOY_VERSION},")
    assert f"but {TOY} 0.2.0 is installed" in upgrade and f"--plugin {TOY} --package {PACKAGE}" in upgrade
    assert lerobot.startswith(f"LeRobotVersionError {PACKAGE}'s wrappers were generated from lerobot==")
    assert (
        "lerobot 0.7.0 is installed" in lerobot and f"getiaction generate --plugin {TOY} --package" in lerobot
    )
    # Uninstalled: the saved policy's type is unknown; the package declared as an entry point names the plugin.
    unknown, uninstalled = _run(
        f"""
        from getiaction.policies.lerobot import LeRobotPolicy
        for attempt in (lambda: LeRobotPolicy.from_pretrained({str(saved)!r}), lambda: __import__("toyproj.policies").policies.Toy):
            try:
                attempt()
            except Exception as error:
                print(type(error).__name__, error)
        """,
        project / "src",
    )
    assert unknown.startswith("SavedPolicyError ") and f"It is the policy of the plugin {TOY}" in unknown
    assert f"pip install '{TOY}=={TOY_VERSION}'" in unknown
    assert uninstalled.startswith("ImportError ") and f"pip install '{TOY}=={TOY_VERSION}'" in uninstalled
