"""``python -m getiaction.quickstart record|report``: the quickstart's own two stages (see the package)."""

from __future__ import annotations

import argparse
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import getiaction.quickstart as package
from getiaction.quickstart.recording import EPISODES, MAX_EPISODE_STEPS


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m getiaction.quickstart", description=(package.__doc__ or "").split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    record_parser = commands.add_parser("record", help="record scripted PushT demonstrations")
    record_parser.add_argument("--root", type=Path, default=Path(".cache/quickstart/pusht_keypoints"))
    record_parser.add_argument("--episodes", type=int, default=EPISODES)
    record_parser.add_argument("--seed", type=int, default=0)
    report_parser = commands.add_parser(
        "report", help="compare `getiaction eval` results with a random policy and the demonstrator; plot"
    )
    report_parser.add_argument("--eval-dir", type=Path, default=Path("outputs/quickstart/eval"))
    report_parser.add_argument("--seed", type=int, required=True, help="as given to getiaction eval (--seed)")
    report_parser.add_argument(
        "--episode-length", type=int, default=MAX_EPISODE_STEPS, help="as given to getiaction eval"
    )
    report_parser.add_argument("--logs", type=Path, default=None, help="the CSV logger's directory")
    report_parser.add_argument("--plot", type=Path, default=Path("outputs/quickstart/quickstart.png"))
    args = parser.parse_args(argv)
    _quiet()
    if args.command == "record":
        package.record(args.root, args.episodes, args.seed)
    else:
        from getiaction.quickstart.report import report

        report(args.eval_dir, args.logs, args.plot, seed=args.seed, episode_length=args.episode_length)


def _quiet() -> None:
    """Keep LeRobot's and ``datasets``' notices that say nothing about this run out of the output."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.getLogger("lerobot.configs.policies").setLevel(logging.ERROR)
    try:
        from datasets.utils.logging import disable_progress_bar
    except ImportError:
        return
    disable_progress_bar()


if __name__ == "__main__":
    main()
