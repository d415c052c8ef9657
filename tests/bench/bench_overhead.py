"""The wrappers' overhead against native LeRobot, measured as an instrument (``nox -s bench``).

Time: wrapper and native run in one process, on the same batches, in interleaved blocks (native, wrapper,
native, ...), so that whatever else the machine does falls on both alike. Each figure is the median of
its per-step (per-call) times; a ratio is wrapper median / native median, measured in each of
``--rounds`` rounds, and printed with its spread over the rounds ((max - min) / median).

Peak memory: at the realistic size, each side in fresh processes of its own (``peak_memory.py``), the
RSS peak and, where CUDA is present, the CUDA peak of training steps and of ``select_action`` after
warm-up; wrapper / native, printed beside the time ratios, with the peaks themselves below. Nothing here
asserts on time or memory: the numbers are for people to read.

- training step: LeRobot's preprocessor then ``lerobot_train.update_policy`` (through accelerate), against
  one step of ``lightning.Trainer`` on the wrapper (timed from ``on_train_batch_start`` to
  ``on_train_batch_end``: checks, preprocessing, forward, backward, clipping, optimizer, logging);
- ``select_action``: preprocessor, ``select_action``, postprocessor, against the wrapper's, once with the
  model running on every call (``reset()`` first) and once serving actions from the queue;
- at ACT's defaults (ResNet18, dim 512, chunks of 100, 96x96 frames, batch 8) and at a tiny size;
- imports (``from getiaction.policies.lerobot import ACT`` against ``import lightning`` plus the native ACT
  import) and CLI start-up (``getiaction --help`` against the same imports), in fresh processes;
- on CUDA, a bf16 LoRA fine-tune step of pi05 at LeRobot's own sizes from a saved random-weight base
  (``lora_finetune.py``): time ratio, peak memory, and whether the first steps' losses agree. Without CUDA
  it says it skipped; ``--tiny-lora-cpu`` runs the same code at the tests' tiny size on the CPU, and
  ``--lora-only`` runs this case alone.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import lora_finetune
import peak_memory
from workload import REALISTIC, REALISTIC_IMAGE_SIZE, Native, Workload, Wrapper, make_dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/tiny.py

MIB = 2**20


def interleaved(native: Callable[[], list[float]], wrapper: Callable[[], list[float]], blocks: int) -> float:
    """Wrapper median / native median over ``blocks`` interleaved blocks (the first of each discarded)."""
    native_times: list[float] = []
    wrapper_times: list[float] = []
    for block in range(blocks + 1):
        first, second = (native, wrapper) if block % 2 == 0 else (wrapper, native)
        # The first step of each block is dropped on both sides: a new Trainer builds a fresh optimizer.
        times = {id(first): first()[1:], id(second): second()[1:]}
        if block:  # the first block warms both up
            native_times += times[id(native)]
            wrapper_times += times[id(wrapper)]
    return statistics.median(wrapper_times) / statistics.median(native_times)


def fresh_process_seconds(command: list[str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def spread(values: list[float]) -> float:
    return (max(values) - min(values)) / statistics.median(values)


def time_ratios(work: Workload, steps: int, calls: int, rounds: int, blocks: int) -> dict[str, list[float]]:
    """Wrapper / native median time per round: training steps, select_action (model run, or queue)."""
    native, wrapper = Native(work), Wrapper(work)
    ratios: dict[str, list[float]] = {name: [] for name in (*peak_memory.MEASURES, "select_action (queue)")}
    for _ in range(rounds):
        ratios["train step"].append(
            interleaved(lambda: native.steps(steps), lambda: wrapper.steps(steps), blocks)
        )
        # Served from the queue a call costs a fraction of a millisecond: ten times the calls.
        for name, runs_model, count in (
            ("select_action (model)", True, calls),
            ("select_action (queue)", False, 10 * calls),
        ):
            ratios[name].append(
                interleaved(
                    lambda runs_model=runs_model, count=count: native.actions(count, runs_model),
                    lambda runs_model=runs_model, count=count: wrapper.actions(count, runs_model),
                    blocks,
                )
            )
    return ratios


def import_ratios(rounds: int, repeats: int) -> dict[str, list[float]]:
    """Fresh-process import and CLI start-up time / the native imports', interleaved, per round."""
    python = sys.executable
    commands = {
        "native": [python, "-c", "import lightning; import lerobot.policies.act.modeling_act"],
        "import ACT (fresh process)": [python, "-c", "from getiaction.policies.lerobot import ACT"],
        "getiaction --help (fresh process)": [str(Path(python).parent / "getiaction"), "--help"],
    }
    ratios: dict[str, list[float]] = {name: [] for name in commands if name != "native"}
    for _ in range(rounds):
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeats):  # interleaved: native, import, CLI, native, ...
            for name, command in commands.items():
                times[name].append(fresh_process_seconds(command, 1))
        for name in ratios:
            ratios[name].append(statistics.median(times[name]) / statistics.median(times["native"]))
    return ratios


def memory_cells(peaks: dict[str, list[peak_memory.Peak]], on_cuda: bool) -> str:
    """Wrapper peak / native peak (median over rounds), RSS then CUDA, as the cells beside a time row."""
    pairs = list(zip(peaks["native"], peaks["wrapper"], strict=True))
    cells = f"{statistics.median(wrapper.rss / native.rss for native, wrapper in pairs):>10.3f}"
    if on_cuda:
        ratios = [(wrapper.cuda or 0) / (native.cuda or 1) for native, wrapper in pairs]
        cells += f"{statistics.median(ratios):>11.3f}"
    return cells


def print_peaks(peaks: dict[str, dict[str, list[peak_memory.Peak]]], label: str, device: str) -> None:
    """The peaks themselves, in MiB (medians over the processes), and what was not measured."""
    import torch

    def row(name: str, values: list[float]) -> None:
        print(f"{name:<44}" + "".join(f"{value / MIB:>16.1f}" for value in values))

    def medians(by_side: dict[str, list[peak_memory.Peak]], field: str) -> list[float]:
        return [statistics.median(getattr(peak, field) or 0 for peak in by_side[side]) for side in by_side]

    fields = ("rss", "cuda") if device != "cpu" else ("rss",)
    first = next(iter(peaks.values()))
    processes = len(first["native"])
    print(
        f"peak memory at {label}, MiB: median over {processes} fresh process(es) per side and measure, "
        f"on {device}, after {peak_memory.WARM_UP} warm-up steps or calls"
    )
    headers = [f"{side} {field.upper()}" for field in fields for side in peak_memory.SIDES]
    print(f"{'measure':<44}" + "".join(f"{header:>16}" for header in headers))
    for name, by_side in peaks.items():
        row(name, [value for field in fields for value in medians(by_side, field)])
    row("resident after SIDE_IMPORTS, before building", medians(first, "rss_after_imports"))
    if any(peak.rss_since_start for by_side in peaks.values() for side in by_side.values() for peak in side):
        print("RSS: the whole process's peak (/proc/self/clear_refs could not reset it after warm-up)")
    if not torch.cuda.is_available():
        print("CUDA: not available")
    elif device == "cpu":
        print("CUDA: available, not measured (--memory-device cpu)")


def lora_time_ratios(
    assets: lora_finetune.Assets, args: argparse.Namespace
) -> tuple[list[float], list[tuple[float, float]], tuple[int, int]]:
    """Wrapper / native step time per round; the first block's losses, native and wrapper, step by step
    (both start from the same base, seed and a fresh optimizer there); trainable and all parameters."""
    native, wrapper = lora_finetune.Native(assets, args.steps), lora_finetune.Wrapper(assets)
    ratios = [
        interleaved(lambda: native.steps(args.steps), lambda: wrapper.steps(args.steps), args.blocks)
        for _ in range(args.rounds)
    ]
    firsts = list(zip(native.losses[: args.steps], wrapper.losses[: args.steps], strict=True))
    return ratios, firsts, native.trainable()


def lora_finetune_case(args: argparse.Namespace) -> None:
    """The GPU case (``lora_finetune.py``): on CUDA at LeRobot's sizes, or tiny on the CPU if asked."""
    import torch

    if args.tiny_lora_cpu:
        name = "tiny"
    elif torch.cuda.is_available():
        name = "realistic"
    else:
        print("GPU LoRA fine-tune: skipped, CUDA not available")
        return
    case = lora_finetune.CASES[name]
    with tempfile.TemporaryDirectory() as tmp, lora_finetune.environment(case, Path(tmp) / "hub"):
        assets = lora_finetune.build_assets(name, Path(tmp), Path(tmp) / "hub")
        ratios, firsts, (trainable, total) = lora_time_ratios(assets, args)
        gc.collect()  # both sides' models, before the memory processes start
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        peaks = lora_finetune.measure(assets, args.steps, args.memory_rounds)

    on_cuda = case.device != "cpu"
    label = f"GPU LoRA fine-tune{' (tiny, on the CPU)' if case.tiny else ''}"
    print(f"{label}: {case.label}, on {case.device}; {trainable:,} of {total:,} parameters train")
    memory_header = f"{'RSS peak':>10}" + (f"{'CUDA peak':>11}" if on_cuda else "")
    print(f"{'measure':<44}{'time, per round':>28}{'median':>9}{'spread':>9}{memory_header}")
    rounds = " ".join(f"{value:.3f}" for value in ratios)
    print(
        f"{'LoRA fine-tune: train step':<44}{rounds:>28}{statistics.median(ratios):>9.3f}"
        f"{spread(ratios):>8.1%}{memory_cells(peaks, on_cuda)}"
    )
    difference = max(abs(native_loss - wrapper_loss) for native_loss, wrapper_loss in firsts)
    print(f"first {len(firsts)} steps' losses, max |wrapper - native|: {difference:.3g}")
    print()
    print_peaks({"LoRA fine-tune: train step": peaks}, case.label, case.device)


def act_cases(args: argparse.Namespace) -> None:
    """ACT at its defaults and tiny: step and select_action time, peak memory, imports and CLI."""
    from tiny import TINY_CONFIGS

    realistic = "ACT defaults"
    on_cuda = args.memory_device != "cpu"
    rows: list[tuple[str, list[float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        roots = {
            label: make_dataset(Path(tmp) / label.replace(" ", "_"), image_size)
            for label, image_size in ((realistic, REALISTIC_IMAGE_SIZE), ("ACT tiny", 64))
        }
        peaks = peak_memory.measure(
            roots[realistic], args.memory_device, args.steps, args.calls, args.memory_rounds
        )
        for label, sizes, steps in (
            (realistic, REALISTIC, args.steps),
            ("ACT tiny", TINY_CONFIGS["act"], 10 * args.steps),
        ):
            ratios = time_ratios(
                Workload(roots[label], sizes, "cpu"), steps, args.calls, args.rounds, args.blocks
            )
            rows += [(f"{label}: {name}", values) for name, values in ratios.items()]
    if not args.skip_imports:
        rows += list(import_ratios(args.rounds, args.import_repeats).items())

    beside = {f"{realistic}: {name}": memory_cells(measured, on_cuda) for name, measured in peaks.items()}
    print(
        f"getiaction / native LeRobot: median ratio per round over {args.rounds} rounds (1.00 = no overhead)"
    )
    memory_header = f"{'RSS peak':>10}" + (f"{'CUDA peak':>11}" if on_cuda else "")
    print(f"{'measure':<44}{'time, per round':>28}{'median':>9}{'spread':>9}{memory_header}")
    for name, values in rows:
        rounds = " ".join(f"{value:.3f}" for value in values)
        cells = beside.get(name, "")
        print(f"{name:<44}{rounds:>28}{statistics.median(values):>9.3f}{spread(values):>8.1%}{cells}")
    print()
    print_peaks(peaks, realistic, args.memory_device)


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=4, help="interleaved blocks per round")
    parser.add_argument("--steps", type=int, default=3, help="training steps per block (realistic size)")
    parser.add_argument("--calls", type=int, default=20, help="select_action calls per block")
    parser.add_argument("--import-repeats", type=int, default=4, help="fresh processes per command and round")
    parser.add_argument("--skip-imports", action="store_true")
    parser.add_argument("--lora-only", action="store_true", help="run only the LoRA fine-tune case")
    parser.add_argument(
        "--tiny-lora-cpu",
        action="store_true",
        help="run the LoRA fine-tune case at the tests' tiny pi05 size on the CPU (no GPU needed)",
    )
    parser.add_argument("--memory-rounds", type=int, default=1, help="fresh processes per side and measure")
    parser.add_argument(
        "--memory-device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="where the peak-memory processes run (the timings run on the CPU)",
    )
    args = parser.parse_args()

    if not args.lora_only:
        act_cases(args)
        print()
    lora_finetune_case(args)


if __name__ == "__main__":
    main()
