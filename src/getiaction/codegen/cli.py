"""The generator's two commands: ``getiaction generate`` (a user's plugins) and ``python -m codegen`` (getiaction's own).

Both render, then write in place, check (``--check``: exit 1 with the API changes and a diff when the files
on disk differ) or describe (``--changelog``: the API changes against a snapshot, in Markdown). Exit 2:
the generator could not render (a plugin that does not import, a config it cannot write faithfully).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from getiaction.codegen.layout import Layout, own_layout, package_layout

if TYPE_CHECKING:
    from getiaction.codegen.ir import GenerationSpec

GENERATE_DESCRIPTION = (
    "Typed PyTorch Lightning wrappers for the policies of LeRobot policy plugins (distributions named "
    "lerobot_policy_<name>), written into a package of your own on getiaction's LeRobotPolicyModule: one "
    "module per policy, the package's lazy __init__, YAML configs, reference pages and an API snapshot."
)


def main(argv: Sequence[str] | None = None) -> int:
    """``getiaction generate --plugin lerobot_policy_foo --package mypkg.policies --output src/mypkg/policies``."""
    parser = argparse.ArgumentParser(prog="getiaction generate", description=GENERATE_DESCRIPTION)
    parser.add_argument(
        "--plugin",
        action="append",
        required=True,
        metavar="DISTRIBUTION",
        help="a plugin distribution whose policies to wrap (repeat for several)",
    )
    parser.add_argument(
        "--package", required=True, help="the generated package's import name, e.g. mypkg.policies"
    )
    parser.add_argument("--output", required=True, help="the package's folder, e.g. src/mypkg/policies")
    parser.add_argument("--configs", help="where the YAML configs go (default: OUTPUT/configs)")
    parser.add_argument("--docs", help="where the reference pages go (default: OUTPUT/docs)")
    parser.add_argument(
        "--skip-broken",
        action="store_true",
        help="leave out a plugin that fails to import (still reported, in one line) instead of exiting 2",
    )
    _add_modes(parser, "OUTPUT/api_snapshot.json")
    args = parser.parse_args(argv)
    plugins = list(dict.fromkeys(args.plugin))
    try:
        layout = package_layout(
            args.package, args.output, plugins=plugins, configs=args.configs, docs=args.docs
        )
    except ValueError as error:
        parser.error(str(error))

    def spec() -> GenerationSpec:
        from getiaction.codegen.installed import PluginError, plugin_policies
        from getiaction.codegen.introspect import GenerationError, plugins_spec

        found = []
        for name in plugins:
            try:
                found.append(plugin_policies(name))
            except PluginError as error:
                if not args.skip_broken:
                    raise GenerationError(f"{error} (or leave it out: --skip-broken)") from error
                print(f"getiaction generate: skipped: {error}", file=sys.stderr)
        if not found:
            raise GenerationError("no plugin left to generate wrappers for")
        return plugins_spec(found)

    return _run("getiaction generate", spec, layout, Path.cwd(), check=args.check, changelog=args.changelog)


def own_main(argv: Sequence[str] | None = None, *, root: Path) -> int:
    """``python -m codegen``: getiaction's own wrappers for LeRobot's built-in policies, in the checkout ``root``."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Regenerate getiaction's own wrappers (LeRobot's built-in policies) in this checkout.",
    )
    _add_modes(parser, own_layout().snapshot_file)
    parser.add_argument(
        "--root",
        type=Path,
        default=root,
        help="the checkout whose generated files to write or check (default: the one holding codegen/)",
    )
    args = parser.parse_args(argv)

    def spec() -> GenerationSpec:
        from getiaction.codegen.introspect import own_spec

        return own_spec()

    return _run("codegen", spec, own_layout(), args.root, check=args.check, changelog=args.changelog)


def _add_modes(parser: argparse.ArgumentParser, snapshot: str) -> None:
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with the API changes and a diff when the files on disk differ from what "
        "would be generated",
    )
    parser.add_argument(
        "--changelog",
        nargs="?",
        const="",
        metavar="OLD_SNAPSHOT",
        help="write nothing; print in Markdown how the installed API differs from a snapshot "
        f"(default: the generated {snapshot})",
    )


def _run(
    prog: str,
    build: Callable[[], GenerationSpec],
    layout: Layout,
    root: Path,
    *,
    check: bool,
    changelog: str | None,
) -> int:
    started = time.perf_counter()
    # Imported here so `--help` works without LeRobot installed.
    from getiaction.codegen.changelog import compare as compare_snapshots
    from getiaction.codegen.changelog import load_snapshot, markdown
    from getiaction.codegen.format import RenderError
    from getiaction.codegen.introspect import GenerationError
    from getiaction.codegen.render import render_all
    from getiaction.codegen.sync import compare, unified_diff, write

    try:
        spec = build()
        files = render_all(spec, layout)
    except (GenerationError, RenderError) as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    rendered_snapshot = json.loads(next(f.content for f in files if f.path == layout.snapshot_file))
    if changelog is not None:
        old_path = Path(changelog) if changelog else root / layout.snapshot_file
        try:
            old_snapshot = load_snapshot(old_path)
        except ValueError as error:
            print(f"{prog}: error: {error}", file=sys.stderr)
            return 2
        sys.stdout.write(markdown(compare_snapshots(old_snapshot, rendered_snapshot)))
        return 0
    drift = compare(files, root, layout)
    elapsed = time.perf_counter() - started
    names = ", ".join(drift.names)

    if check:
        if drift.in_sync:
            print(f"{prog}: {len(files)} generated files in sync ({elapsed:.1f} s)")
            return 0
        committed = root / layout.snapshot_file
        if committed.is_file() and any(f.path == layout.snapshot_file for f in drift.changed):
            # The API summary first: an upgrade's text diff runs to thousands of lines.
            with contextlib.suppress(ValueError):
                sys.stdout.write(
                    markdown(compare_snapshots(load_snapshot(committed), rendered_snapshot)) + "\n"
                )
        sys.stdout.write(unified_diff(drift, root))
        print(
            f"{prog}: out of sync: {len(drift.changed)} changed, {len(drift.missing)} missing, "
            f"{len(drift.stale)} stale: {names}\n"
            f"Generated files are never edited by hand: {layout.edit_hint}.",
            file=sys.stderr,
        )
        return 1

    write(drift, root)
    touched = len(drift.changed) + len(drift.missing) + len(drift.stale)
    print(f"{prog}: {len(files)} files rendered, {touched} written or removed ({elapsed:.1f} s)")
    if names:
        print(f"{prog}: updated {names}")
    if not layout.builtin:
        print(f"{prog}: how to declare and type-check the package: {layout.reference_index}")
    return 0
