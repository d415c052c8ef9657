"""Developer tasks. Every session runs in the project's own ``.venv``, synced from ``uv.lock``.

One environment for everything: LeRobot's stack is ~5 GB, and a second copy per session would buy
nothing but install time. ``uv sync --locked`` makes the environment match the lock exactly first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "check_generated", "typecheck", "tests"]

# Offline by construction: nothing may reach the Hugging Face hub.
OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}


def sync(session: nox.Session) -> None:
    session.run("uv", "sync", "--locked", external=True)


def run(session: nox.Session, *args: str) -> None:
    session.run("uv", "run", "--locked", "--no-sync", *args, external=True, env=OFFLINE)


@nox.session
def tests(session: nox.Session) -> None:
    """The default test suite: generator, wrappers, equivalence with LeRobot, CLI (tiny, CPU, offline)."""
    sync(session)
    run(session, "pytest", "-m", "not slow and not vla", *session.posargs)


@nox.session
def vla(session: nox.Session) -> None:
    """The 14 VLA-type policies, tiny and offline: select_action and training equal to native LeRobot."""
    sync(session)
    run(session, "pytest", "-m", "vla", *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """Longer checks kept out of the default run."""
    sync(session)
    run(session, "pytest", "-m", "slow", *session.posargs)


@nox.session
def typecheck(session: nox.Session) -> None:
    """Two typing clients: ``mypy --strict`` and pyright (what Pylance runs), over the package, the
    generator and user code that must fail on the same lines for both."""
    sync(session)
    run(session, "mypy")
    run(session, "mypy", "tests/typecheck")
    run(session, "basedpyright")
    run(session, "basedpyright", "-p", "tests/typecheck")


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate the wrappers and configs from the installed LeRobot."""
    sync(session)
    run(session, "python", "-m", "codegen")


@nox.session
def check_generated(session: nox.Session) -> None:
    """Fail with a diff when committed generated files differ from the generator's output."""
    sync(session)
    run(session, "python", "-m", "codegen", "--check")


@nox.session
def lint(session: nox.Session) -> None:
    sync(session)
    run(session, "ruff", "check", ".")
    run(session, "ruff", "format", "--check", ".")


@nox.session
def quickstart(session: nox.Session) -> None:
    """Record PushT demonstrations (cached), train ACT on CPU with `getiaction fit`, evaluate, compare, plot."""
    sync(session)
    dataset = ".cache/quickstart/pusht_keypoints"
    outputs = Path("outputs/quickstart")
    run(session, "python", "-m", "getiaction.quickstart", "record", "--root", dataset)
    shutil.rmtree(outputs, ignore_errors=True)  # a fresh run: fresh checkpoints, logs, videos
    run(session, "getiaction", "fit", "--config", "configs/quickstart_pusht_act.yaml")
    eval_dir = str(outputs / "eval")
    run(
        session,
        "getiaction",
        "eval",
        "--policy",
        str(outputs / "checkpoints" / "last.ckpt"),
        "--episodes",
        "50",
        "--videos",
        "2",
        "--output-dir",
        eval_dir,
    )
    run(
        session,
        "python",
        "-m",
        "getiaction.quickstart",
        "report",
        "--eval-dir",
        eval_dir,
        "--logs",
        str(outputs / "logs" / "fit"),
        "--plot",
        str(outputs / "quickstart.png"),
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Wrapper against native LeRobot, interleaved in one process: step time, select_action, imports, CLI."""
    sync(session)
    run(session, "python", "tests/bench/bench_overhead.py", *session.posargs)
