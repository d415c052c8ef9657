"""Command line: regenerate in place, or check that committed output is in sync."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codegen.ir import GeneratedFile
from codegen.render import GENERATED_MARKER, OUTPUT_GLOBS, REGENERATE_COMMAND, REPO_ROOT, SNAPSHOT_FILE


@dataclass(frozen=True)
class Drift:
    """How the files on disk differ from what the generator renders."""

    changed: tuple[GeneratedFile, ...]  # exist with other content
    missing: tuple[GeneratedFile, ...]  # not on disk
    stale: tuple[str, ...]  # generated files on disk that the generator no longer renders

    @property
    def in_sync(self) -> bool:
        return not (self.changed or self.missing or self.stale)


def compare(files: Sequence[GeneratedFile], root: Path) -> Drift:
    rendered = {file.path for file in files}
    changed = []
    missing = []
    for file in files:
        path = root / file.path
        if not path.exists():
            missing.append(file)
        elif path.read_text(encoding="utf-8") != file.content:
            changed.append(file)
    stale = sorted(path for path in generated_on_disk(root) if path not in rendered)
    return Drift(tuple(changed), tuple(missing), tuple(stale))


def generated_on_disk(root: Path) -> list[str]:
    """Relative paths of files under the output locations that carry the generated header."""
    found = []
    for pattern in OUTPUT_GLOBS:
        for path in sorted(root.glob(pattern)):
            with path.open(encoding="utf-8", errors="replace") as handle:
                if any(GENERATED_MARKER in handle.readline() for _ in range(2)):
                    found.append(path.relative_to(root).as_posix())
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when committed output differs from what would be generated",
    )
    parser.add_argument(
        "--changelog",
        nargs="?",
        const="",
        metavar="OLD_SNAPSHOT",
        help="write nothing; print in Markdown how the installed LeRobot's API differs from a snapshot "
        f"(default: the committed {SNAPSHOT_FILE})",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=REPO_ROOT,
        help="the checkout whose generated files to write or check (default: the one holding codegen/)",
    )
    args = parser.parse_args(argv)
    root: Path = args.root

    started = time.perf_counter()
    # Imported here so `--help` works without LeRobot installed.
    from codegen.changelog import compare as compare_snapshots
    from codegen.changelog import load_snapshot, markdown
    from codegen.introspect import GenerationError, build_generation_spec
    from codegen.render import RenderError, render_all

    try:
        spec = build_generation_spec()
        files = render_all(spec)
    except (GenerationError, RenderError) as error:
        print(f"codegen: error: {error}", file=sys.stderr)
        return 2
    rendered_snapshot = json.loads(next(f.content for f in files if f.path == SNAPSHOT_FILE))
    if args.changelog is not None:
        old_path = Path(args.changelog) if args.changelog else root / SNAPSHOT_FILE
        try:
            old_snapshot = load_snapshot(old_path)
        except ValueError as error:
            print(f"codegen: error: {error}", file=sys.stderr)
            return 2
        sys.stdout.write(markdown(compare_snapshots(old_snapshot, rendered_snapshot)))
        return 0
    drift = compare(files, root)
    elapsed = time.perf_counter() - started
    names = ", ".join([f.path for f in (*drift.changed, *drift.missing)] + list(drift.stale))

    if args.check:
        if drift.in_sync:
            print(f"codegen: {len(files)} generated files in sync ({elapsed:.1f} s)")
            return 0
        committed = root / SNAPSHOT_FILE
        if committed.is_file() and any(f.path == SNAPSHOT_FILE for f in drift.changed):
            # The API summary first: a LeRobot upgrade's text diff runs to thousands of lines.
            with contextlib.suppress(ValueError):
                sys.stdout.write(
                    markdown(compare_snapshots(load_snapshot(committed), rendered_snapshot)) + "\n"
                )
        sys.stdout.write(unified_diff(drift, root))
        print(
            f"codegen: out of sync: {len(drift.changed)} changed, {len(drift.missing)} missing, "
            f"{len(drift.stale)} stale: {names}\n"
            f"Generated files are never edited by hand: change codegen/ or templates/, then run "
            f"`{REGENERATE_COMMAND}`.",
            file=sys.stderr,
        )
        return 1

    write(drift, root)
    touched = len(drift.changed) + len(drift.missing) + len(drift.stale)
    print(f"codegen: {len(files)} files rendered, {touched} written or removed ({elapsed:.1f} s)")
    if names:
        print(f"codegen: updated {names}")
    return 0
