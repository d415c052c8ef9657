"""Peak memory of a training step and of ``select_action``, native against wrapper, one fresh process each.

A process's resident-set peak only grows, so one process cannot give each side its own: every (side,
measure) pair runs in a process of its own (``python peak_memory.py --side native --measure train ...``).
It imports what its side needs (``SIDE_IMPORTS``: native LeRobot's training needs no Lightning, and the
resident size at that point is reported too), builds its side (both then import the dataset and policy
factory), warms up (two steps or calls), then resets the peaks and runs the measured steps or calls.
The RSS peak is the kernel's high-water mark (``VmHWM``), reset by writing 5 to ``/proc/self/clear_refs``;
where that cannot be written (not Linux) it is ``ru_maxrss``, the peak of the whole process. The CUDA
peak is ``torch.cuda.max_memory_allocated`` after ``torch.cuda.reset_peak_memory_stats``, on CUDA runs.
Nothing here asserts: the numbers are printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

WARM_UP = 2  # steps or calls before the peaks are reset: the optimizer's state exists after the first
MEASURES = ("train step", "select_action (model)")
SIDES = ("native", "wrapper")
RESULT = "PEAK "  # the worker's last line of output: this prefix, then JSON
Mark = Callable[[int], None]  # called before each step or call with its index


def no_mark(index: int) -> None:
    """The ``Mark`` of a run that measures no peaks."""


# What each side imports before it builds anything.
SIDE_IMPORTS = {
    "native": ("accelerate", "lerobot.policies.factory", "lerobot.scripts.lerobot_train"),
    "wrapper": ("lightning", "getiaction.policies.lerobot"),
}


@dataclass(frozen=True)
class Peak:
    rss: int  # bytes
    cuda: int | None  # bytes; None where the run was not on CUDA
    rss_since_start: bool  # True where the RSS peak could not be reset after warm-up
    rss_after_imports: int | None  # bytes resident once SIDE_IMPORTS are in; None without /proc


def _reset_rss_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _proc_status_bytes(field: str) -> int | None:
    """A size from /proc/self/status (``VmHWM``, ``VmRSS``), in bytes; None where there is none."""
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024  # in kB
    return None


def _rss_peak() -> int:
    peak = _proc_status_bytes("VmHWM")
    if peak is not None:
        return peak
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss if sys.platform == "darwin" else maxrss * 1024  # bytes on macOS, KiB elsewhere


def import_side(side: str) -> int | None:
    """Import what ``side`` needs before it builds anything; the bytes then resident (None without /proc)."""
    import importlib

    for module in SIDE_IMPORTS[side]:
        importlib.import_module(module)
    return _proc_status_bytes("VmRSS")


def measured_peak(
    run: Callable[[Mark], object], device: str, rss_after_imports: int | None, total: int | None = None
) -> Peak:
    """Call ``run(mark)`` (warm-up steps or calls, then the measured ones); the peaks after warm-up.

    They are read when ``run`` returns, or when it calls ``mark(total)`` (after its last step, before
    anything a training loop does after the steps: Lightning's teardown moves the module to the CPU).
    """
    import torch

    on_cuda = device != "cpu"
    reset: list[bool] = []
    read: list[tuple[int, int | None]] = []

    def peaks() -> tuple[int, int | None]:
        if on_cuda:
            torch.cuda.synchronize()
        return _rss_peak(), torch.cuda.max_memory_allocated() if on_cuda else None

    def mark(index: int) -> None:
        if index == WARM_UP:
            reset.append(_reset_rss_peak())
            if on_cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
        elif index == total and not read:
            read.append(peaks())

    run(mark)
    rss, cuda = read[0] if read else peaks()
    return Peak(rss, cuda, rss_since_start=not all(reset), rss_after_imports=rss_after_imports)


def worker(side: str, measure: str, root: Path, device: str, count: int) -> Peak:
    """Build ``side`` alone, warm it up, then run ``count`` steps or calls with the peaks reset."""
    rss_after_imports = import_side(side)

    from workload import REALISTIC, Native, Workload, Wrapper

    work = Workload(root, REALISTIC, device)
    runner = Native(work) if side == "native" else Wrapper(work)
    if measure == "train step":
        return measured_peak(lambda mark: runner.steps(WARM_UP + count, mark), device, rss_after_imports)
    return measured_peak(
        lambda mark: runner.actions(WARM_UP + count, every_call_runs_the_model=True, mark=mark),
        device,
        rss_after_imports,
    )


def run_worker(command: list[str], what: str, env: dict[str, str] | None = None) -> Peak:
    """Run a worker process (``command``) and read the peak it prints last."""
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-4000:]}")
    result = done.stdout.strip().splitlines()[-1]
    return Peak(**json.loads(result.removeprefix(RESULT)))


def measure(root: Path, device: str, steps: int, calls: int, rounds: int) -> dict[str, dict[str, list[Peak]]]:
    """Every (measure, side) in its own fresh process, ``rounds`` times, sides alternating in order."""
    peaks: dict[str, dict[str, list[Peak]]] = {name: {side: [] for side in SIDES} for name in MEASURES}
    for round_ in range(rounds):
        for name in MEASURES:
            for side in SIDES if round_ % 2 == 0 else SIDES[::-1]:
                count = steps if name == "train step" else calls
                command = [sys.executable, __file__, "--side", side, "--measure", name]
                command += ["--root", str(root), "--device", device, "--count", str(count)]
                peaks[name][side].append(run_worker(command, f"{side} {name}"))
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=SIDES, required=True)
    parser.add_argument("--measure", choices=MEASURES, required=True)
    parser.add_argument("--root", type=Path, required=True, help="the dataset make_dataset recorded")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--count", type=int, required=True, help="measured steps or calls, after warm-up")
    args = parser.parse_args()
    peak = worker(args.side, args.measure, args.root, args.device, args.count)
    print(RESULT + json.dumps(peak.__dict__))


if __name__ == "__main__":
    main()
