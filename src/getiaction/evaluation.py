"""``getiaction eval``: roll a policy out in a gymnasium environment, as ``lerobot-eval`` does.

    getiaction eval --policy outputs/quickstart/checkpoints/last.ckpt --episodes 50
    getiaction eval --policy my_act --env-id gym_pusht/PushT-v0 --env-kwargs '{"obs_type": "pixels_agent_pos"}'

The policy is a Lightning checkpoint (``.ckpt``) or a directory in LeRobot's pretrained layout
(``save_pretrained``, ``lerobot-train``). Episodes run in batches through a gymnasium vector
environment: one batched ``select_action`` per step, observations converted by LeRobot's own
``preprocess_observation``. It prints a table of the episodes and writes ``eval_info.json`` in
``lerobot-eval``'s format (per-episode and aggregated ``avg_sum_reward``, ``avg_max_reward``,
``pc_success``) and videos of the first episodes (MP4 through PyAV, GIF through Pillow without it).

``RolloutEvaluation`` is the same rollout as a Lightning callback, logging ``eval/avg_max_reward``
and ``eval/success_rate`` while a policy trains.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from lightning.pytorch import Callback

if TYPE_CHECKING:
    import gymnasium as gym
    from lightning.pytorch import LightningModule, Trainer

    from getiaction.policies.lerobot import LeRobotPolicyModule

__all__ = [
    "EpisodeResult",
    "EvalResult",
    "PolicyActor",
    "RolloutEvaluation",
    "evaluate",
    "main",
    "make_vector_env",
    "rollout",
    "write_video",
]

PUSHT = "gym_pusht/PushT-v0"
Frame = npt.NDArray[np.uint8]


class Actor(Protocol):
    """Chooses a batch of actions from a batch of raw environment observations."""

    def reset(self) -> None:
        """Called when a batch of episodes starts."""

    def __call__(self, observation: dict[str, Any], env: gym.vector.SyncVectorEnv) -> npt.NDArray[Any]:
        """Actions of shape ``(num_envs, *action_shape)``."""
        ...


class PolicyActor:
    """A getiaction policy as an ``Actor``: LeRobot's observation conversion, one batched forward.

    As ``lerobot-eval``: ``preprocess_observation`` turns the environment's arrays into LeRobot's
    ``observation.*`` tensors (images channel-first in [0, 1]), the task description is added, and
    the policy's own processors normalise observations and unnormalise actions.
    """

    def __init__(self, policy: LeRobotPolicyModule[Any]) -> None:
        self.policy = policy

    def reset(self) -> None:
        self.policy.reset()

    def __call__(self, observation: dict[str, Any], env: gym.vector.SyncVectorEnv) -> npt.NDArray[Any]:
        import torch
        from lerobot.envs.utils import preprocess_observation

        batch: dict[str, Any] = preprocess_observation(observation)
        batch["task"] = _tasks(env)
        with torch.inference_mode():
            action = self.policy.select_action(batch)
        result: npt.NDArray[Any] = action.detach().to("cpu").numpy()
        return result


class RandomActor:
    """Uniform random actions from the environment's action space (a baseline)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def reset(self) -> None:
        pass

    def __call__(self, observation: dict[str, Any], env: gym.vector.SyncVectorEnv) -> npt.NDArray[Any]:
        space = env.single_action_space
        rng = np.random.default_rng(self.seed)
        self.seed += 1
        low, high = np.asarray(space.low), np.asarray(space.high)  # type: ignore[attr-defined]
        return rng.uniform(low, high, size=(env.num_envs, *low.shape)).astype(np.float32)


def _tasks(env: gym.vector.SyncVectorEnv) -> list[str]:
    for name in ("task_description", "task"):
        try:
            return [str(task) for task in env.call(name)]
        except (AttributeError, NotImplementedError):
            continue
    return [""] * env.num_envs


@dataclass
class EpisodeResult:
    """One episode: ``lerobot-eval``'s per-episode entry plus its length."""

    episode_ix: int
    seed: int
    sum_reward: float
    max_reward: float
    success: bool
    length: int


@dataclass
class EvalResult:
    """Every episode and ``lerobot-eval``'s aggregates (``eval_info.json``)."""

    episodes: list[EpisodeResult]
    eval_s: float
    video_paths: list[str] = field(default_factory=list)

    @property
    def aggregated(self) -> dict[str, float]:
        sums = [episode.sum_reward for episode in self.episodes]
        maxes = [episode.max_reward for episode in self.episodes]
        successes = [episode.success for episode in self.episodes]
        n = max(len(self.episodes), 1)
        return {
            "avg_sum_reward": float(np.mean(sums)) if sums else float("nan"),
            "avg_max_reward": float(np.mean(maxes)) if maxes else float("nan"),
            "pc_success": float(np.mean(successes) * 100) if successes else float("nan"),
            "eval_s": self.eval_s,
            "eval_ep_s": self.eval_s / n,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "per_episode": [asdict(episode) for episode in self.episodes],
            "aggregated": self.aggregated,
            "video_paths": self.video_paths,
        }

    def table(self) -> str:
        lines = [f"{'episode':>7}  {'seed':>8}  {'sum reward':>10}  {'max reward':>10}  success  length"]
        for e in self.episodes:
            lines.append(
                f"{e.episode_ix:>7}  {e.seed:>8}  {e.sum_reward:>10.2f}  {e.max_reward:>10.3f}  "
                f"{'yes' if e.success else 'no':>7}  {e.length:>6}"
            )
        agg = self.aggregated
        lines.append(
            f"{len(self.episodes)} episodes in {agg['eval_s']:.0f} s: avg_max_reward {agg['avg_max_reward']:.3f}, "
            f"avg_sum_reward {agg['avg_sum_reward']:.2f}, pc_success {agg['pc_success']:.1f}%"
        )
        return "\n".join(lines)


# --- environments -------------------------------------------------------------------------------


def make_vector_env(
    env_id: str = PUSHT,
    env_kwargs: Mapping[str, Any] | None = None,
    num_envs: int = 1,
    max_episode_steps: int | None = None,
) -> gym.vector.SyncVectorEnv:
    """``num_envs`` copies of a registered gymnasium environment, each frozen once its episode ends.

    ``env_id`` may name its module (``module:Env-v0``); a namespaced id (``gym_pusht/PushT-v0``) imports
    the namespace's package to register it. Sub-environments are wrapped in LeRobot's
    ``FreezeAfterEpisodeEnd``, so a finished episode costs nothing while the rest of its batch runs.
    """
    import gymnasium as gym

    from getiaction._lerobot.compat import freeze_after_episode_end

    _register(env_id)
    kwargs = dict(env_kwargs or {})
    if max_episode_steps is not None:
        kwargs["max_episode_steps"] = max_episode_steps

    def make() -> gym.Env[Any, Any]:
        with warnings.catch_warnings():
            # gym_pusht's simulator imports pygame, which warns that pkg_resources is deprecated.
            warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
            # gymnasium's passive checker is a development aid; here it only warns about float rounding.
            return gym.make(env_id, disable_env_checker=True, **kwargs)

    return gym.vector.SyncVectorEnv(
        [freeze_after_episode_end(make) for _ in range(num_envs)],
        autoreset_mode=gym.vector.AutoresetMode.NEXT_STEP,
    )


def _register(env_id: str) -> None:
    if ":" in env_id:  # gymnasium imports the module itself
        return
    namespace = env_id.split("/")[0] if "/" in env_id else None
    if namespace:
        # Without the package, gymnasium's own error names the id that is not registered.
        with contextlib.suppress(ImportError):
            importlib.import_module(namespace)


def default_env_kwargs(env_id: str, policy: LeRobotPolicyModule[Any] | None) -> dict[str, Any]:
    """For PushT, the observation type the policy was trained on; nothing for other environments."""
    if env_id != PUSHT:
        return {}
    features = set(policy.config.input_features or {}) if policy is not None else set()
    obs_type = "pixels_agent_pos" if "observation.image" in features else "environment_state_agent_pos"
    # LeRobot's pusht EnvConfig renders at 384 x 384.
    return {"obs_type": obs_type, "visualization_width": 384, "visualization_height": 384}


# --- rollouts ----------------------------------------------------------------------------------


def rollout(
    actor: Actor,
    env: gym.vector.SyncVectorEnv,
    seeds: Sequence[int],
    *,
    render: int = 0,
    max_steps: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[EpisodeResult], list[list[Frame]]]:
    """Run one batch of episodes (one per sub-environment) to its end; frames of the first ``render``.

    As ``lerobot-eval``: every sub-environment steps until all are done, a finished one frozen and
    its later transitions ignored; success is the environment's ``is_success`` at the episode's
    end. ``progress(step, done)`` is called after each step.
    """
    from getiaction._lerobot.compat import NEW_ROLLOUT_OPTION

    n = env.num_envs
    if len(seeds) != n:
        raise ValueError(f"rollout needs one seed per sub-environment ({n}), got {len(seeds)}")
    actor.reset()
    observation, _ = env.reset(seed=list(seeds), options={NEW_ROLLOUT_OPTION: True})
    render = min(render, n)
    frames: list[list[Frame]] = [[_render(env, i)] for i in range(render)]
    limit = max_steps or _max_episode_steps(env)
    done = np.zeros(n, dtype=bool)
    sums, maxes = np.zeros(n), np.full(n, -np.inf)
    success = np.zeros(n, dtype=bool)
    lengths = np.zeros(n, dtype=int)
    step = 0
    while not done.all() and step < limit:
        action = actor(observation, env)
        observation, reward, terminated, truncated, info = env.step(action)
        running = ~done
        rewards = np.asarray(reward, dtype=np.float64)
        sums[running] += rewards[running]
        maxes[running] = np.maximum(maxes[running], rewards[running])
        lengths[running] += 1
        successes = np.asarray(info.get("is_success", np.zeros(n, dtype=bool)), dtype=bool)
        success[running] |= successes[running]
        for i in range(render):
            if running[i]:
                frames[i].append(_render(env, i))
        done |= np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
        step += 1
        if progress is not None:
            progress(step, int(done.sum()))
    results = [
        EpisodeResult(
            episode_ix=i,
            seed=int(seeds[i]),
            sum_reward=float(sums[i]),
            max_reward=float(maxes[i]),
            success=bool(success[i]),
            length=int(lengths[i]),
        )
        for i in range(n)
    ]
    return results, frames


def _render(env: gym.vector.SyncVectorEnv, index: int) -> Frame:
    frame = env.envs[index].render()
    if not isinstance(frame, np.ndarray):
        raise RuntimeError(
            "the environment renders no frames: videos need it made with render_mode='rgb_array' "
            "(pass it in --env-kwargs, or --videos 0)"
        )
    return np.asarray(frame, dtype=np.uint8)


def _max_episode_steps(env: gym.vector.SyncVectorEnv) -> int:
    spec = env.envs[0].spec
    steps = spec.max_episode_steps if spec is not None else None
    if steps is None:
        raise ValueError("the environment has no time limit: give max_steps (--max-episode-steps)")
    return int(steps)


def evaluate(
    actor: Actor,
    *,
    episodes: int,
    env_id: str = PUSHT,
    env_kwargs: Mapping[str, Any] | None = None,
    batch_size: int = 50,
    seed: int = 1000,
    max_episode_steps: int | None = None,
    videos: int = 0,
    video_dir: Path | None = None,
    fps: int | None = None,
    progress: bool = True,
    description: str = "eval",
) -> EvalResult:
    """Roll ``actor`` out for ``episodes`` episodes (seeds ``seed``, ``seed + 1``, ...) in batches.

    Videos of the first ``videos`` episodes go to ``video_dir`` as ``eval_episode_<i>.mp4`` (or
    ``.gif`` without PyAV).
    """
    from tqdm import tqdm

    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")
    if videos > 0 and video_dir is None:
        raise ValueError("videos need a video_dir to be written to")
    started = time.perf_counter()
    writer = VideoWriter.choose() if videos > 0 else None
    kwargs = dict(env_kwargs or {})
    if videos > 0:
        kwargs.setdefault("render_mode", "rgb_array")
    results: list[EpisodeResult] = []
    video_paths: list[str] = []
    batch_size = max(1, min(batch_size, episodes))
    # Redrawn at most every 5 s into a log file (no terminal), where each redraw is a new line.
    bar = tqdm(
        total=episodes,
        desc=description,
        unit="episode",
        disable=not progress,
        dynamic_ncols=True,
        mininterval=0.5 if sys.stderr.isatty() else 5.0,
    )
    try:
        for start in range(0, episodes, batch_size):
            n = min(batch_size, episodes - start)
            env = make_vector_env(env_id, kwargs, n, max_episode_steps)
            render = max(0, min(videos - start, n))
            done_before = bar.n

            def show(step: int, done: int, base: int = done_before) -> None:
                bar.set_postfix_str(f"step {step}", refresh=False)
                bar.update(base + done - bar.n)

            try:
                batch, frames = rollout(
                    actor, env, [seed + start + i for i in range(n)], render=render, progress=show
                )
                rate = fps or int(env.metadata.get("render_fps", 10))
            finally:
                env.close()
            bar.update(done_before + n - bar.n)
            for episode in batch:
                episode.episode_ix += start
            results += batch
            if writer is not None and video_dir is not None:
                for i, episode_frames in enumerate(frames):
                    path = writer.write(video_dir / f"eval_episode_{start + i}", episode_frames, rate)
                    video_paths.append(str(path))
            bar.set_postfix_str(
                f"avg_max_reward {np.mean([e.max_reward for e in results]):.3f}, "
                f"success {np.mean([e.success for e in results]) * 100:.0f}%"
            )
    finally:
        bar.close()
    return EvalResult(results, time.perf_counter() - started, video_paths)


# --- videos ------------------------------------------------------------------------------------


class VideoWriter:
    """Writes frames as H.264 MP4 through PyAV (LeRobot's own video dependency), or as GIF through Pillow.

    ``choose()`` decides once, before any rollout, and says in one line when it falls back.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @classmethod
    def choose(cls) -> VideoWriter:
        codec = _mp4_codec()
        if codec is not None:
            return cls(codec)
        print(
            "getiaction eval: PyAV with an H.264 or MPEG-4 encoder is not available; writing videos as GIF",
            file=sys.stderr,
        )
        return cls("gif")

    @property
    def suffix(self) -> str:
        return ".gif" if self.kind == "gif" else ".mp4"

    def write(self, stem: Path, frames: Sequence[Frame], fps: int) -> Path:
        path = stem.with_suffix(self.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.kind == "gif":
            _write_gif(path, frames, fps)
        else:
            write_video(path, frames, fps, codec=self.kind)
        return path


def _mp4_codec() -> str | None:
    try:
        from av.codec import Codec
    except ImportError:
        return None
    for codec in ("libx264", "h264", "mpeg4"):
        try:
            Codec(codec, "w")
        except Exception:  # PyAV raises its own error types for a missing encoder
            continue
        return codec
    return None


def write_video(path: Path, frames: Sequence[Frame], fps: int, codec: str = "libx264") -> None:
    """Write RGB frames (``H x W x 3`` uint8) as an MP4 video with PyAV."""
    import av
    from av.video.stream import VideoStream

    height, width = (dim - dim % 2 for dim in frames[0].shape[:2])  # yuv420p needs even sizes
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        assert isinstance(stream, VideoStream)  # a video codec gives a video stream
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            image = av.VideoFrame.from_ndarray(
                np.ascontiguousarray(frame[:height, :width, :3]), format="rgb24"
            )
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def _write_gif(path: Path, frames: Sequence[Frame], fps: int) -> None:
    from PIL import Image

    images = [Image.fromarray(frame[..., :3]) for frame in frames]
    images[0].save(
        path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0, optimize=False
    )


# --- loading -----------------------------------------------------------------------------------


def load_policy(path: str | Path, device: str = "cpu") -> LeRobotPolicyModule[Any]:
    """A Lightning checkpoint (file) or a LeRobot pretrained directory, ready for inference."""
    from getiaction.policies.lerobot import LeRobotPolicy

    source = Path(path)
    if source.is_dir():
        policy: LeRobotPolicyModule[Any] = LeRobotPolicy.from_pretrained(source, device=device)
    elif source.is_file():
        policy = LeRobotPolicy.load_from_checkpoint(source, map_location=device, weights_only=True)
    else:
        raise FileNotFoundError(f"{source}: no such checkpoint file or pretrained directory")
    return policy.to(device).eval()


# --- the Lightning callback ----------------------------------------------------------------------


class RolloutEvaluation(Callback):
    """Roll the training policy out every ``every_n_val_epochs`` validation runs; log its scores.

    Validation must run (a validation set, e.g. ``eval_split``; ``val_check_interval`` sets how often).
    Logs ``eval/avg_max_reward``, ``eval/avg_sum_reward`` and ``eval/success_rate`` (a fraction)
    against the global step. The episodes are the same each time (seeds ``seed`` ...), so the curve
    compares like with like. Nothing runs during the sanity check.

    Args:
        episodes: Episodes per evaluation.
        every_n_val_epochs: Evaluate after every n-th validation run.
        env_id: A registered gymnasium id.
        env_kwargs: Keyword arguments of ``gymnasium.make`` (PushT: the observation type the policy
            was trained on by default).
        batch_size: Environments stepped together.
        seed: Seed of the first episode.
        max_episode_steps: Override the environment's time limit.
        at_start: Also evaluate the untrained policy before the first step (logged at step 0).
    """

    def __init__(
        self,
        episodes: int = 10,
        every_n_val_epochs: int = 1,
        env_id: str = PUSHT,
        env_kwargs: dict[str, Any] | None = None,
        batch_size: int = 50,
        seed: int = 100_000,
        max_episode_steps: int | None = None,
        at_start: bool = True,
    ) -> None:
        if every_n_val_epochs < 1:
            raise ValueError(f"every_n_val_epochs must be at least 1, got {every_n_val_epochs}")
        self.episodes = episodes
        self.every_n_val_epochs = every_n_val_epochs
        self.env_id = env_id
        self.env_kwargs = env_kwargs
        self.batch_size = batch_size
        self.seed = seed
        self.max_episode_steps = max_episode_steps
        self.at_start = at_start
        self._validations = 0

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not self.at_start or trainer.global_step > 0:  # a resumed run has its start point already
            return
        scores = self._evaluate(pl_module)
        for logger in trainer.loggers:  # straight to the loggers, at step 0
            logger.log_metrics(scores, step=trainer.global_step)

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.sanity_checking:
            return
        self._validations += 1
        if self._validations % self.every_n_val_epochs:
            return
        for name, value in self._evaluate(pl_module).items():
            pl_module.log(name, value)

    def _evaluate(self, pl_module: LightningModule) -> dict[str, float]:
        from getiaction.policies.lerobot import LeRobotPolicyModule

        if not isinstance(pl_module, LeRobotPolicyModule):
            raise TypeError(f"RolloutEvaluation needs a getiaction policy, got {type(pl_module).__name__}")
        kwargs = (
            self.env_kwargs if self.env_kwargs is not None else default_env_kwargs(self.env_id, pl_module)
        )
        was_training = pl_module.training
        pl_module.eval()
        try:
            result = evaluate(
                PolicyActor(pl_module),
                episodes=self.episodes,
                env_id=self.env_id,
                env_kwargs=kwargs,
                batch_size=self.batch_size,
                seed=self.seed,
                max_episode_steps=self.max_episode_steps,
                progress=False,
            )
        finally:
            pl_module.reset()  # leave no rollout state (action queues, ensembles) behind
            pl_module.train(was_training)
        aggregated = result.aggregated
        return {
            "eval/avg_max_reward": aggregated["avg_max_reward"],
            "eval/avg_sum_reward": aggregated["avg_sum_reward"],
            "eval/success_rate": aggregated["pc_success"] / 100,
        }


# --- command line ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``getiaction eval``: roll a checkpoint or pretrained policy out; print and save the results."""
    parser = argparse.ArgumentParser(
        prog="getiaction eval",
        description="Roll a policy out in a gymnasium environment: per-episode results, eval_info.json, videos.",
    )
    parser.add_argument(
        "--policy", required=True, type=Path, help="a Lightning checkpoint (.ckpt) or a pretrained directory"
    )
    parser.add_argument("--env-id", default=PUSHT, help=f"a registered gymnasium id (default {PUSHT})")
    parser.add_argument(
        "--env-kwargs",
        type=json.loads,
        default=None,
        help="gymnasium.make keyword arguments as JSON (PushT: the policy's observation type by default)",
    )
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=50, help="environments stepped together")
    parser.add_argument("--seed", type=int, default=100_000, help="seed of the first episode")
    parser.add_argument("--max-episode-steps", type=int, default=None)
    parser.add_argument("--videos", type=int, default=2, help="record the first N episodes")
    parser.add_argument(
        "--fps", type=int, default=None, help="video frame rate (the environment's by default)"
    )
    parser.add_argument("--output-dir", type=Path, default=Path("outputs/eval"))
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    if args.env_kwargs is not None and not isinstance(args.env_kwargs, dict):
        parser.error("--env-kwargs must be a JSON object")

    _quiet()
    policy = load_policy(args.policy, args.device)
    env_kwargs = args.env_kwargs if args.env_kwargs is not None else default_env_kwargs(args.env_id, policy)
    print(
        f"getiaction eval: {policy.policy_type} policy from {args.policy} in {args.env_id} {env_kwargs or ''}"
    )
    result = evaluate(
        PolicyActor(policy),
        episodes=args.episodes,
        env_id=args.env_id,
        env_kwargs=env_kwargs,
        batch_size=args.batch_size,
        seed=args.seed,
        max_episode_steps=args.max_episode_steps,
        videos=args.videos,
        video_dir=args.output_dir / "videos",
        fps=args.fps,
    )
    args.output_dir.mkdir(parents=True, exist_ok=True)
    info_path = args.output_dir / "eval_info.json"
    info_path.write_text(json.dumps(result.to_json(), indent=2))
    print(result.table())
    print(f"getiaction eval: wrote {info_path}")
    for path in result.video_paths:
        print(f"getiaction eval: wrote {path}")
    return 0


def _quiet() -> None:
    """Silence the notices LeRobot's imports print that say nothing about this run."""
    import logging

    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    logging.getLogger("lerobot.configs.policies").setLevel(logging.ERROR)


if __name__ == "__main__":
    raise SystemExit(main())
