"""Writing LeRobot's pretrained layout atomically: a crash leaves the previous save, never a mix.

The files go to a sibling staging directory, are flushed to disk, and only then replace the previous
save, which survives until the new one is complete. A provenance record (``getiaction.json``) beside
LeRobot's files lets a load refuse a directory whose files come from different saves.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from getiaction._lerobot.version import lerobot_version
from getiaction.errors import SavedPolicyError
from getiaction.policies.lerobot._pretrained_files import (
    PREVIOUS,
    STAGING,
    aside_prefix,
    digest_of,
    leftovers,
    previous_saves,
)
from getiaction.policies.lerobot._saved_files import (
    PROCESSOR_PREFIXES,
    PROVENANCE_FILE,
    SAVED_NAMES,
)


def write_pretrained(directory: Path, policy_type: str, write: Callable[[Path], None]) -> Path:
    """Run ``write(staging)``, then put the staged files at ``directory`` in one step.

    ``directory`` must be absent, empty, or an earlier pretrained save: replacing anything else would
    delete files that are not ours. Saves into one parent directory take turns (a lock on it), so two
    processes saving the same policy never race; what a killed save left behind is put right first.
    """
    target = Path(directory)
    _refuse_a_file_on_the_path(target)
    if target.exists():
        if not target.is_dir():
            raise SavedPolicyError(f"{target}: exists and is not a directory")
        foreign = sorted(path.name for path in target.iterdir() if not _is_saved_file(path.name))
        if foreign:
            raise SavedPolicyError(
                f"{target}: holds files a pretrained save does not write ({', '.join(foreign[:5])}); save into "
                "a new or empty directory, or an earlier save"
            )
    target.parent.mkdir(parents=True, exist_ok=True)
    with _parent_locked(target.parent):
        _recover(target)
        staging = Path(tempfile.mkdtemp(prefix=aside_prefix(target, STAGING), dir=target.parent))
        try:
            write(staging)
            _write_provenance(staging, policy_type)
            _flush_tree(staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if target.exists():
            previous = target.parent / f"{aside_prefix(target, PREVIOUS)}{uuid.uuid4().hex[:8]}"
            os.rename(target, previous)
            os.rename(staging, target)
            shutil.rmtree(previous)
        else:
            os.rename(staging, target)
        _flush_directory(target.parent)
    return target


def _recover(target: Path) -> None:
    """Under the lock: a save killed between its two renames left the previous save aside and none at
    ``target``: put it back. Everything else a killed save left is incomplete: remove it."""
    previous = previous_saves(target)
    if previous and not target.exists():
        os.rename(previous.pop(), target)
    for path in leftovers(target):
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _parent_locked(parent: Path) -> Iterator[None]:
    """An exclusive lock on ``parent`` itself (no lock file to leave behind); released on exit or death."""
    descriptor = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def _refuse_a_file_on_the_path(target: Path) -> None:
    for ancestor in target.absolute().parents:
        if ancestor.exists():
            if not ancestor.is_dir():
                raise SavedPolicyError(f"{target}: cannot save there, {ancestor} is a file, not a directory")
            return


def _is_saved_file(name: str) -> bool:
    return name in SAVED_NAMES or name.startswith(PROCESSOR_PREFIXES)


def _write_provenance(directory: Path, policy_type: str) -> None:
    from getiaction import __version__

    record = {
        "policy_type": policy_type,
        "lerobot_version": lerobot_version(),
        "getiaction_version": __version__,
        # A directory whose files come from different saves is refused on load.
        "files": {path.name: digest_of(path) for path in sorted(directory.iterdir()) if path.is_file()},
    }
    (directory / PROVENANCE_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _flush_tree(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    _flush_directory(directory)


def _flush_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
