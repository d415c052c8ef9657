"""Saving is atomic: a process killed at any point of ``save_pretrained`` leaves the old save or a clear error.

Each fault is injected into a forked child process that dies (``os._exit``) at a chosen point of the
save, without any cleanup, as a power cut or an OOM kill would leave it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny import REPO_ID, TINY_CONFIGS

from getiaction._lerobot.compat import (
    LeRobotDataset,
    LeRobotDatasetMetadata,
    dataset_to_policy_features,
)
from getiaction.policies.lerobot import ACT

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="faults are injected into a forked process")


def policy(meta: LeRobotDatasetMetadata, seed: int, shift: float = 0.0) -> ACT:
    features = dataset_to_policy_features(meta.features)
    stats = copy.deepcopy(meta.stats)
    stats["action"]["mean"] = stats["action"]["mean"] + shift
    torch.manual_seed(seed)
    return ACT(input_features=features, output_features=features, stats=stats, **TINY_CONFIGS["act"]).eval()


def action(module: ACT, root: Path) -> torch.Tensor:
    frame = LeRobotDataset(REPO_ID, root=root)[0]
    module.reset()
    return module.select_action({key: frame[key] for key in ("observation.state", "observation.image")})


def die_while_saving(module: ACT, directory: Path, sabotage: Callable[[], None]) -> None:
    """Save in a forked child that ``sabotage`` makes die part-way; wait for it."""
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            sabotage()
            module.save_pretrained(directory)
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 17, "the sabotage did not fire"


def crash(*_: Any, **__: Any) -> None:
    os._exit(17)


def crash_between_the_renames() -> None:
    """Die after the old save is moved aside and before the new one is in place."""
    renames = []
    real_rename = os.rename

    def rename(source: Any, target: Any) -> None:
        renames.append(source)
        if len(renames) == 2:
            crash()
        real_rename(source, target)

    os.rename = rename  # type: ignore[assignment]


@pytest.fixture
def saved(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> tuple[Path, torch.Tensor]:
    directory = policy(tiny_meta, seed=0).save_pretrained(tmp_path / "my_policy")
    return directory, action(ACT.from_pretrained(directory), tiny_dataset_root)


def test_crash_after_the_weights_before_the_processors_keeps_the_old_save(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, before = saved
    newer = policy(tiny_meta, seed=1, shift=5.0)

    def sabotage() -> None:
        assert newer.postprocessor is not None
        newer.postprocessor.save_pretrained = crash  # type: ignore[method-assign]

    die_while_saving(newer, directory, sabotage)
    assert torch.equal(action(ACT.from_pretrained(directory), tiny_dataset_root), before)


def test_crash_while_writing_the_weights_keeps_the_old_save(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, before = saved
    newer = policy(tiny_meta, seed=1)

    def sabotage() -> None:
        def half_written(model: Any, filename: str, *args: Any, **kwargs: Any) -> None:
            Path(filename).write_bytes(b"\x00" * 100)  # a torn write
            crash()

        import lerobot.policies.pretrained

        # What PreTrainedPolicy._save_pretrained calls, imported there by another name.
        lerobot.policies.pretrained.save_model_as_safetensor = half_written

    die_while_saving(newer, directory, sabotage)
    assert torch.equal(action(ACT.from_pretrained(directory), tiny_dataset_root), before)


def test_crash_between_the_renames_is_a_clear_error_naming_the_previous_save(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, before = saved
    newer = policy(tiny_meta, seed=1)

    die_while_saving(newer, directory, crash_between_the_renames)
    with pytest.raises(FileNotFoundError, match="interrupted save left the previous version in") as error:
        ACT.from_pretrained(directory)
    previous = Path(str(error.value).rsplit(" in ", 1)[1])
    assert torch.equal(action(ACT.from_pretrained(previous), tiny_dataset_root), before)  # nothing is lost


def test_a_completed_save_replaces_the_old_one(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, before = saved
    newer = policy(tiny_meta, seed=1, shift=5.0)
    newer.save_pretrained(directory)
    after = action(ACT.from_pretrained(directory), tiny_dataset_root)
    assert torch.equal(after, action(newer, tiny_dataset_root)) and not torch.equal(after, before)
    assert [path.name for path in directory.parent.iterdir() if path.name.startswith(".")] == []


def test_a_missing_relative_path_that_reads_like_a_repo_id_is_local_with_the_hint(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "outputs/act" matches a hub repo id's shape too; it was sent to the hub, losing the hint.
    directory, _ = saved
    monkeypatch.chdir(directory.parent.parent)
    relative = Path(directory.parent.name) / directory.name
    newer = policy(tiny_meta, seed=1)

    die_while_saving(newer, relative, crash_between_the_renames)
    with pytest.raises(FileNotFoundError, match="interrupted save left the previous version in"):
        ACT.from_pretrained(str(relative))
    with pytest.raises(FileNotFoundError, match="no such pretrained directory") as never_saved:
        ACT.from_pretrained(f"{directory.parent.name}/never_saved")
    assert "hub" not in str(never_saved.value).replace("nor a hub repo id", "")


def test_two_processes_saving_into_one_directory_take_turns(
    tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path, tmp_path: Path
) -> None:
    # Before, 2 x 300 saves gave raw FileNotFoundErrors on a rename race and orphan staging directories.
    directory = tmp_path / "shared"
    modules = [policy(tiny_meta, seed=seed) for seed in (1, 2)]
    children = []
    for module in modules:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                for _ in range(15):
                    module.save_pretrained(directory)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        children.append(pid)
    assert [os.WEXITSTATUS(os.waitpid(pid, 0)[1]) for pid in children] == [0, 0]
    final = action(ACT.from_pretrained(directory), tiny_dataset_root)
    assert any(torch.equal(final, action(module, tiny_dataset_root)) for module in modules)
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_what_a_killed_save_left_is_named_on_load_and_removed_by_the_next_save(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, before = saved
    newer = policy(tiny_meta, seed=1)

    def sabotage() -> None:  # die while writing the processors: the staging directory stays behind
        newer.postprocessor.save_pretrained = crash  # type: ignore[method-assign]

    die_while_saving(newer, directory, sabotage)
    with pytest.warns(UserWarning, match=r"killed saves left \.my_policy\.saving-"):
        assert torch.equal(action(ACT.from_pretrained(directory), tiny_dataset_root), before)
    policy(tiny_meta, seed=2).save_pretrained(directory)
    assert [path.name for path in directory.parent.iterdir() if path.name.startswith(".")] == []


def test_the_next_save_puts_back_a_previous_save_a_killed_one_moved_aside(
    saved: tuple[Path, torch.Tensor], tiny_meta: LeRobotDatasetMetadata, tiny_dataset_root: Path
) -> None:
    directory, _ = saved
    die_while_saving(policy(tiny_meta, seed=1), directory, crash_between_the_renames)
    assert not directory.exists()
    newer = policy(tiny_meta, seed=2)
    newer.save_pretrained(directory)
    assert torch.equal(
        action(ACT.from_pretrained(directory), tiny_dataset_root), action(newer, tiny_dataset_root)
    )
    assert [path.name for path in directory.parent.iterdir() if path.name.startswith(".")] == []
