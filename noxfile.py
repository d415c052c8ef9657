"""Developer tasks. Every session runs in the project's own ``.venv``, synced from ``uv.lock``.

One environment for everything: LeRobot's stack is ~5 GB, and a second copy per session would buy
nothing but install time. ``uv sync --locked`` makes the environment match the lock exactly first.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import tomllib
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
    run(session, "pytest", "-m", "not vla", *session.posargs)


@nox.session
def vla(session: nox.Session) -> None:
    """The 14 VLA-type policies, tiny and offline: select_action and training equal to native LeRobot."""
    sync(session)
    run(session, "pytest", "-m", "vla", *session.posargs)


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
    seed = "100000"  # start states seen neither in training nor by the rollouts during training
    run(
        session,
        "getiaction",
        "eval",
        "--policy",
        str(outputs / "checkpoints" / "last.ckpt"),
        "--env.type=pusht",
        "--env.obs_type=environment_state_agent_pos",
        "--eval.n_episodes=50",
        "--eval.batch_size=50",
        "--eval.use_async_envs=false",
        f"--seed={seed}",
        "--max_episodes_rendered=2",
        f"--output_dir={eval_dir}",
    )
    run(
        session,
        "python",
        "-m",
        "getiaction.quickstart",
        "report",
        "--eval-dir",
        eval_dir,
        "--seed",
        seed,
        "--logs",
        str(outputs / "logs" / "fit"),
        "--plot",
        str(outputs / "quickstart.png"),
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Wrapper against native LeRobot: step and select_action time (interleaved), peak memory, imports, CLI;
    on CUDA a bf16 LoRA fine-tune step of pi05 (``-- --lora-only`` runs that alone)."""
    sync(session)
    run(session, "python", "tests/bench/bench_overhead.py", *session.posargs)


GENERATED_WRAPPERS = "<the generated wrapper modules>"
# What the rehearsal runs in the throwaway checkout, stage by stage (the tiny model tests: the policies
# every release since 0.4 has, against native LeRobot).
UPGRADE_STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("generate", ("python", "-m", "codegen")),
    # The regenerated wrappers, strictly; the hand-written runtime is typed against the pinned release (its
    # _compat fallbacks run, untyped, on older ones), so imports are followed silently.
    ("typecheck", ("mypy", "--strict", "--follow-imports=silent", GENERATED_WRAPPERS)),
    ("parity", ("pytest", "-q", "-p", "no:cacheprovider", "tests/test_generated_parity.py")),
    (
        "model tests",
        (
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/test_equivalence.py",
            "-k",
            "select_action_equals_native or same_seed or lightning_training_equals_lerobot_train "
            "or universal_wrapper_equals",
        ),
    ),
)


@nox.session
def upgrade(session: nox.Session) -> None:
    """Rehearse a LeRobot upgrade in a throwaway environment: ``nox -s upgrade -- 0.5.1``.

    Copies the checkout, pins the given release there, installs it into a new environment, regenerates the
    wrappers, runs ``mypy --strict``, the parity tests and the tiny model tests, then prints the API changelog
    from the committed snapshot to that release. Exits non-zero naming the stage that failed. Nothing in
    this checkout changes; the copy's path is printed, its new snapshot under ``api_snapshot.json``.
    """
    if len(session.posargs) != 1 or not re.fullmatch(r"\d+\.\d+(\.\d+)?", session.posargs[0]):
        session.error("give the LeRobot release to rehearse: nox -s upgrade -- 0.5.1")
    version = session.posargs[0]
    root = Path(__file__).resolve().parent
    work = Path(tempfile.mkdtemp(prefix=f"getiaction-upgrade-{version}-"))
    copy = work / "checkout"
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (root / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, copy / name)
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    current = re.search(r"lerobot\[[^\]]*\]==([\w.]+)", " ".join(project["project"]["dependencies"]))
    assert current is not None
    pyproject = copy / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8").replace(f"=={current.group(1)}", f"=={version}"),
        encoding="utf-8",
    )
    pins = {
        name: spec
        for spec in project["dependency-groups"]["dev"]
        if isinstance(spec, str)
        for name in (re.split(r"[<>=\[]", spec)[0],)
    }
    venv = work / "venv"
    python = str(venv / "bin" / "python")
    session.log(f"upgrade rehearsal for lerobot {version} in {work}")
    session.run("uv", "venv", "--quiet", "--python", "3.12", str(venv), external=True)
    session.run(
        "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        python,
        f"lerobot[dataset,diffusion,accelerate-dep]=={version}",
        *project["project"]["dependencies"][1:],  # lightning, jsonargparse
        *project["project"]["optional-dependencies"]["generate"],  # the generator, its pinned ruff
        pins["mypy"],
        pins["pytest"],
        "packaging",
        external=True,
        env={"UV_COMPILE_BYTECODE": "1"},
    )
    session.run(
        "uv", "pip", "install", "--quiet", "--python", python, "--no-deps", "-e", str(copy), external=True
    )
    environment = {**OFFLINE, "VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    session.chdir(copy)
    for stage, command in UPGRADE_STAGES:
        session.log(f"stage {stage}: {' '.join(command)}")
        program = python if command[0] == "python" else str(venv / "bin" / command[0])
        arguments = [
            argument
            for item in command[1:]
            for argument in (
                sorted(str(path) for path in (copy / "src/getiaction/policies/lerobot").glob("[!_]*.py"))
                if item == GENERATED_WRAPPERS
                else [item]
            )
        ]
        try:
            session.run(program, *arguments, external=True, env=environment)
        except nox.command.CommandFailed:
            session.error(f"lerobot {version}: stage '{stage}' failed (the copy is in {copy})")
    session.log(f"stage changelog: committed snapshot (lerobot {current.group(1)}) -> lerobot {version}")
    session.run(
        python,
        "-m",
        "codegen",
        "--changelog",
        str(root / "codegen" / "api_snapshot.json"),
        external=True,
        env=environment,
    )
    session.log(f"lerobot {version}: every stage passed; regenerated files and snapshot in {copy}")
