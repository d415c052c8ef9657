"""Generated files against the files on disk: what changed, what is missing, what is stale; diff and write."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from getiaction.codegen.ir import GeneratedFile
from getiaction.codegen.layout import GENERATED_MARKER, Layout


@dataclass(frozen=True)
class Drift:
    """How the files on disk differ from what the generator renders."""

    changed: tuple[GeneratedFile, ...]  # exist with other content
    missing: tuple[GeneratedFile, ...]  # not on disk
    stale: tuple[str, ...]  # generated files on disk that the generator no longer renders

    @property
    def in_sync(self) -> bool:
        return not (self.changed or self.missing or self.stale)

    @property
    def names(self) -> list[str]:
        return [file.path for file in (*self.changed, *self.missing)] + list(self.stale)


def compare(files: Sequence[GeneratedFile], root: Path, layout: Layout) -> Drift:
    rendered = {file.path for file in files}
    changed = []
    missing = []
    for file in files:
        path = root / file.path
        if not path.exists():
            missing.append(file)
        elif path.read_text(encoding="utf-8") != file.content:
            changed.append(file)
    stale = sorted(path for path in generated_on_disk(root, layout) if path not in rendered)
    return Drift(tuple(changed), tuple(missing), tuple(stale))


def generated_on_disk(root: Path, layout: Layout) -> list[str]:
    """Paths (as the layout spells them) of files in the layout's locations that carry the generated header."""
    found = []
    for pattern in layout.output_globs:
        directory, _, name = pattern.rpartition("/")
        for path in sorted((root / directory).glob(name)):
            with path.open(encoding="utf-8", errors="replace") as handle:
                if any(GENERATED_MARKER in handle.readline() for _ in range(2)):
                    found.append(f"{directory}/{path.name}" if directory else path.name)
    return found


def unified_diff(drift: Drift, root: Path) -> str:
    chunks: list[str] = []
    for file in drift.changed:
        current = (root / file.path).read_text(encoding="utf-8")
        chunks += difflib.unified_diff(
            current.splitlines(keepends=True),
            file.content.splitlines(keepends=True),
            fromfile=f"a/{file.path} (committed)",
            tofile=f"b/{file.path} (generated)",
        )
    for file in drift.missing:
        chunks += difflib.unified_diff(
            [], file.content.splitlines(keepends=True), "/dev/null", f"b/{file.path} (missing)"
        )
    for stale_path in drift.stale:
        current = (root / stale_path).read_text(encoding="utf-8")
        chunks += difflib.unified_diff(
            current.splitlines(keepends=True), [], f"a/{stale_path} (stale)", "/dev/null"
        )
    return "".join(chunk if chunk.endswith("\n") else chunk + "\n" for chunk in chunks)


def write(drift: Drift, root: Path) -> None:
    for file in (*drift.changed, *drift.missing):
        path = root / file.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.content, encoding="utf-8", newline="\n")
    for stale_path in drift.stale:
        (root / stale_path).unlink()
