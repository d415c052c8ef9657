"""The bench's GPU LoRA fine-tune case (tests/bench/lora_finetune.py), run at its tiny size on the CPU.

The code ``nox -s bench`` runs on CUDA at LeRobot's sizes, here at the tests' tiny pi05, so it does not rot
where no GPU is at hand: both sides build from one saved base, train the same steps to the same losses, and
a peak-memory worker process reports; without CUDA the bench says it skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import bench_overhead
import lora_finetune

pytestmark = pytest.mark.vla
pytest.importorskip("peft", reason="the LoRA case needs LeRobot's peft extra")

STEPS = 3


def test_tiny_lora_finetune_runs_both_sides_to_the_same_losses(tmp_path: Path) -> None:
    case = lora_finetune.TINY
    with lora_finetune.environment(case, tmp_path / "hub"):
        assets = lora_finetune.build_assets("tiny", tmp_path, tmp_path / "hub")
        native, wrapper = lora_finetune.Native(assets, STEPS), lora_finetune.Wrapper(assets)
        native_times, wrapper_times = native.steps(STEPS), wrapper.steps(STEPS)
        assert len(native_times) == len(wrapper_times) == STEPS
        assert native.losses == wrapper.losses
        trainable, total = native.trainable()
        assert 0 < trainable < total
        (peak,) = lora_finetune.measure(assets, steps=1, rounds=1)["wrapper"]
    assert peak.rss > 0 and peak.cuda is None


def test_without_cuda_the_bench_says_it_skipped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    bench_overhead.lora_finetune_case(argparse.Namespace(tiny_lora_cpu=False))
    assert capsys.readouterr().out == "GPU LoRA fine-tune: skipped, CUDA not available\n"
