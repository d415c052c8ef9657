"""The CLI's input errors, as a user meets them: each is one ``getiaction: error:`` line naming what to fix
(exit 2), never a traceback; ``--debug`` shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from test_workflow import only_checkpoint, seed_yaml

from getiaction.cli import run_cli


@pytest.fixture(scope="module")
def seed_run(tiny_dataset_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seed YAML fitted once: (its config file, its checkpoint)."""
    tmp_path = tmp_path_factory.mktemp("seed_run")
    config = seed_yaml(tmp_path, tiny_dataset_root)
    run_cli(["fit", "--config", str(config)])
    return config, only_checkpoint(tmp_path / "run")


def _not_a_checkpoint(tmp_path: Path, checkpoint: Path) -> list[str]:
    (tmp_path / "notes.ckpt").write_text("not a checkpoint")
    return ["--ckpt_path", str(tmp_path / "notes.ckpt")]


def _other_policy(tmp_path: Path, checkpoint: Path) -> list[str]:
    saved = torch.load(checkpoint, weights_only=True)
    saved["getiaction"]["policy_type"] = "diffusion"
    torch.save(saved, tmp_path / "diffusion.ckpt")
    return ["--ckpt_path", str(tmp_path / "diffusion.ckpt")]


def _malformed_yaml(tmp_path: Path, checkpoint: Path) -> list[str]:
    (tmp_path / "broken.yaml").write_text("model:\n  class_path: [unclosed\n")
    return ["--config", str(tmp_path / "broken.yaml")]


# How a CLI run goes wrong -> the words its one error line must hold.
CLI_ERRORS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "missing --ckpt_path": (
        lambda tmp, ckpt: ["--ckpt_path", str(tmp / "nowhere.ckpt")],
        ("no such checkpoint",),
    ),
    "--ckpt_path not a checkpoint": (_not_a_checkpoint, ("notes.ckpt", "not a readable checkpoint")),
    "--ckpt_path of another policy": (_other_policy, ("diffusion.ckpt", "'diffusion'")),
    "eval_split above one": (lambda tmp, ckpt: ["--data.init_args.eval_split=1.5"], ("eval_split", "1.5")),
    "negative max_steps": (lambda tmp, ckpt: ["--trainer.max_steps=-5"], ("max_steps",)),
    "malformed YAML": (_malformed_yaml, ("broken.yaml", "not valid YAML")),
    "resume with edited model values": (
        lambda tmp, ckpt: ["--ckpt_path", str(ckpt), "--model.init_args.dropout=0.3"],
        ("resuming continues", "dropout: given 0.3, checkpoint 0.1"),
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_ERRORS))
def test_cli_errors_are_one_paragraph(
    case: str, seed_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from getiaction.cli import main

    config, checkpoint = seed_run
    extra, words = CLI_ERRORS[case]
    arguments = extra(tmp_path, checkpoint)
    base = [] if "--config" in arguments else ["--config", str(config)]
    with pytest.raises(SystemExit) as exited:
        main(["fit", *base, *arguments])
    assert exited.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("getiaction: error:")]
    assert len(errors) == 1, case
    missing = [word for word in words if word not in errors[0]]
    assert not missing, f"{case}: {missing} not in {errors[0]}"
