"""Generated Python through the pinned ruff: imports sorted, unused ones dropped, formatted.

The formatter shapes the output, so it is pinned (getiaction's ``generate`` extra names the release) and
run isolated from any user or project configuration, in a scratch tree.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

from getiaction._lerobot.extras import getiaction_requirements
from getiaction.codegen.ir import GeneratedFile
from getiaction.codegen.text import LINE_LENGTH


class RenderError(Exception):
    """Rendering or formatting failed."""


def format_python(files: list[GeneratedFile]) -> list[GeneratedFile]:
    """Sort imports and format with ruff, ignoring any user or project configuration."""
    require_pinned_ruff()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for file in files:
            path = in_scratch(root, file.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(file.content, encoding="utf-8", newline="\n")
        settings = [
            "--isolated",
            "--config",
            f"line-length = {LINE_LENGTH}",
            "--config",
            "lint.isort.known-first-party = ['getiaction']",
            "--config",
            # The scratch tree holds only generated files, so ruff cannot see package roots there.
            "lint.isort.detect-same-package = false",
        ]
        ruff = [sys.executable, "-m", "ruff"]
        for command in (
            [*ruff, "check", *settings, "--select", "I,F401,RUF022", "--fix", "--quiet", "."],
            [*ruff, "format", *settings, "--quiet", "."],
        ):
            # Run inside the scratch tree so nothing about the checkout (its path, a .venv, an
            # enclosing config) can change how ruff classifies or formats the output.
            result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=tmp)
            if result.returncode != 0:
                raise RenderError(f"{' '.join(command[2:4])} failed:\n{result.stdout}{result.stderr}")
        return [GeneratedFile(f.path, in_scratch(root, f.path).read_text(encoding="utf-8")) for f in files]


def in_scratch(root: Path, path: str) -> Path:
    """Where a generated file's copy lies in the scratch tree ``root``: at its whole path (ruff sorts
    first-party imports by it), made relative and with each ``..`` named, so it stays inside ``root``."""
    parts = PurePosixPath(path).parts
    return root.joinpath(*("_up" if part == ".." else part for part in parts if part != "/"))


def pinned_ruff() -> str | None:
    """The ruff release getiaction's installed metadata pins (its ``generate`` extra), or None."""
    for requirement in getiaction_requirements():
        if requirement.name == "ruff":
            return str(requirement.specifier).removeprefix("==")
    return None


def require_pinned_ruff() -> None:
    wanted = pinned_ruff()
    try:
        installed: str | None = importlib.metadata.version("ruff")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != wanted:
        raise RenderError(
            f"generated code is formatted by ruff=={wanted}, which getiaction's `generate` extra pins; "
            f"{'ruff ' + installed if installed else 'no ruff'} is installed. Install it with: "
            "pip install 'getiaction[generate]' (in a getiaction checkout: uv sync)"
        )
