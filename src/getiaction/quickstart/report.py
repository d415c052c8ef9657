"""The quickstart's report: the trained policy's ``getiaction eval`` score beside the baselines', and a plot.

The baselines (``baselines``) roll out from the same start states through the same evaluator: LeRobot's
``eval_policy_all`` in LeRobot's PushT environment, episode ``i`` seeded ``seed + i``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lerobot.envs.configs import PushtEnv

from getiaction.evaluation.delegate import evaluate
from getiaction.evaluation.environments import opened_envs
from getiaction.quickstart.baselines import BaselineConfig, DemonstratorPolicy, RandomPolicy, baseline_parts
from getiaction.quickstart.recording import MAX_EPISODE_STEPS

__all__ = ["OBS_TYPE", "evaluate_baselines", "plot_curves", "report"]

OBS_TYPE = "environment_state_agent_pos"  # the quickstart's observations: agent position and T keypoints


def evaluate_baselines(
    n_episodes: int, seed: int, episode_length: int = MAX_EPISODE_STEPS
) -> dict[str, dict[str, Any]]:
    """``eval_policy_all``'s ``overall`` for the random policy and the demonstrator, from seeds ``seed`` ..."""
    env = PushtEnv(obs_type=OBS_TYPE, episode_length=episode_length)
    results = {}
    for name, policy in (
        ("random", RandomPolicy(BaselineConfig(seed=seed))),
        ("demonstrator", DemonstratorPolicy(BaselineConfig())),
    ):
        with opened_envs(env, n_envs=n_episodes, use_async_envs=False) as envs:
            info = evaluate(baseline_parts(policy), envs, env, n_episodes=n_episodes, start_seed=seed)
        results[name] = info["overall"]
    return results


def report(
    eval_dir: Path,
    logs: Path | None = None,
    plot: Path | None = None,
    *,
    seed: int,
    episode_length: int = MAX_EPISODE_STEPS,
) -> dict[str, float]:
    """Compare the trained policy's ``eval_info.json`` in ``eval_dir`` with a random policy and the demonstrator.

    ``seed`` and ``episode_length`` are those ``getiaction eval`` ran with (``--seed``,
    ``--env.episode_length``). Writes ``eval_dir/comparison.json`` and, with ``logs`` (the CSV logger's
    directory), a plot of the training curves and scores at ``plot``.
    """
    info = json.loads((eval_dir / "eval_info.json").read_text())
    overall = info["overall"]
    episodes = int(overall["n_episodes"])
    scores = {"trained": float(overall["avg_max_reward"])}
    for name, baseline in evaluate_baselines(episodes, seed, episode_length).items():
        scores[name] = float(baseline["avg_max_reward"])
    comparison = {
        "avg_max_reward": scores,
        "n_episodes": episodes,
        "seed": seed,
        "episode_length": episode_length,
    }
    (eval_dir / "comparison.json").write_text(json.dumps(comparison, indent=2))
    learned = scores["trained"] >= 2 * scores["random"] and scores["trained"] >= scores["demonstrator"] / 2
    print(
        f"quickstart: {episodes} PushT episodes from start states unseen in training (seeds {seed} ...). Mean max "
        "reward (coverage of the target, 1 = solved):\n"
        f"  trained policy:         {scores['trained']:.3f}\n"
        f"  random policy:          {scores['random']:.3f}\n"
        f"  scripted demonstrator:  {scores['demonstrator']:.3f}\n"
        + (
            "  The policy learned: at least twice the random score and half the demonstrator's."
            if learned
            else "  The policy did not reach twice the random score and half the demonstrator's."
        )
    )
    if logs is not None and plot is not None:
        plot_curves(logs / "metrics.csv", plot, scores)
        print(f"quickstart: wrote {plot}")
    return scores


def plot_curves(metrics: Path, path: Path, baselines: dict[str, float]) -> Path:
    """Training and validation loss, and the rollout score logged during training, against steps."""
    import csv

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, tuple[list[float], list[float]]] = {}
    with metrics.open() as file:
        for row in csv.DictReader(file):
            for key, value in row.items():
                if key != "step" and value not in ("", None) and row.get("step"):
                    steps, values = series.setdefault(key, ([], []))
                    steps.append(float(row["step"]))
                    values.append(float(value))
    figure, (losses, score) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for key, label in (("train/loss", "train"), ("val/loss", "validation")):
        if key in series:
            losses.plot(*series[key], label=label, marker="o" if key.startswith("val") else None)
    losses.set(
        xlabel="step", ylabel="loss (L1, normalised actions)", yscale="log", title="Behaviour cloning loss"
    )
    losses.legend()
    if "eval/avg_max_reward" in series:
        score.plot(*series["eval/avg_max_reward"], marker="o", label="policy during training")
    colours = {"trained": "C0", "random": "C3", "demonstrator": "C2"}
    names = {"trained": "trained (final eval)", "random": "random policy", "demonstrator": "demonstrator"}
    for name, value in baselines.items():
        score.axhline(
            value,
            linestyle="--",
            color=colours.get(name, "grey"),
            label=f"{names.get(name, name)} {value:.2f}",
        )
    score.set(xlabel="step", ylabel="mean max reward (coverage)", ylim=(0, 1), title="PushT rollouts")
    score.set_xlim(losses.get_xlim())
    score.legend(loc="upper left", fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
