"""What LeRobot's modeling code assumes of a config but its config never checks, checked up front.

Divisibility (attention heads), windows (``n_obs_steps - 1 + n_action_steps <= horizon``), cross-field
order (``min_std <= max_std``), and a torchvision backbone that exists, with weights of its own. Each
rule names the policy code it mirrors (lerobot 0.6.1) and the fields it reads, and refuses only configs
that code would crash on or silently mistreat: without the rule, ``ACT(n_heads=3, dim_model=64)`` is an
assertion deep in torch and ``Diffusion(horizon=8, n_obs_steps=2, n_action_steps=8)`` a chunk of 7 actions.

Rules run when a config is decoded and again when the policy is built, once a dataset's features are
known (the rules that depend on features skip configs without them). Single fields' ranges are in
``_config``'s tables; a rule skips fields outside them, which those tables then refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

from lerobot.configs.policies import PreTrainedConfig
from lerobot.configs.types import FeatureType

from getiaction.errors import ConfigError, did_you_mean

Check = Callable[[PreTrainedConfig], "str | None"]  # a message naming the fields, or None when satisfied


class Rule(NamedTuple):
    """A check and the config fields it reads (a test keeps them fields of the policy's config)."""

    reads: tuple[str, ...]
    check: Check


def check_constraints(config: PreTrainedConfig, *, subject: str) -> None:
    """Refuse a config that breaks one of its policy's rules below."""
    for rule in RULES.get(str(config.type), ()):
        message = rule.check(config)
        if message is not None:
            raise ConfigError(f"{subject}: {message}")


# --- rule builders ------------------------------------------------------------------------------------


def _sizes(config: PreTrainedConfig, *names: str) -> tuple[int, ...] | None:
    """The fields' values when each is an int of at least 1 (else a range table refuses it), or None."""
    values = tuple(getattr(config, name, None) for name in names)
    if all(isinstance(value, int) and not isinstance(value, bool) and value >= 1 for value in values):
        return values  # type: ignore[return-value]  # checked just above
    return None


def _image_keys(config: PreTrainedConfig) -> list[str]:
    return [key for key, ft in (config.input_features or {}).items() if ft.type is FeatureType.VISUAL]


def _divisible(dividend: str, divisor: str, why: str) -> Rule:
    def rule(config: PreTrainedConfig) -> str | None:
        sizes = _sizes(config, dividend, divisor)
        if sizes is None or sizes[0] % sizes[1] == 0:
            return None
        below = sizes[0] // sizes[1] * sizes[1]
        nearest = " or ".join(str(n) for n in (below, below + sizes[1]) if n >= 1)
        return (
            f"{dividend} ({sizes[0]}) must be a multiple of {divisor} ({sizes[1]}): {why}; the nearest "
            f"{dividend} that is: {nearest}"
        )

    return Rule((dividend, divisor), rule)


def _even_embedding(name: str, where: str) -> Rule:
    def rule(config: PreTrainedConfig) -> str | None:
        sizes = _sizes(config, name)
        if sizes is None or (sizes[0] % 2 == 0 and sizes[0] >= 4):
            return None
        return (
            f"{name} must be even and at least 4, got {sizes[0]}: its sinusoidal embedding is dim // 2 sine "
            f"and dim // 2 cosine features, scaled by 1 / (dim // 2 - 1) ({where})"
        )

    return Rule((name,), rule)


def _even(name: str, why: str) -> Rule:
    def rule(config: PreTrainedConfig) -> str | None:
        sizes = _sizes(config, name)
        if sizes is None or sizes[0] % 2 == 0:
            return None
        return f"{name} must be even, got {sizes[0]}: {why}"

    return Rule((name,), rule)


def _action_window(config: PreTrainedConfig) -> str | None:
    # modeling_diffusion.py:329, modeling_multi_task_dit.py:138: each chunk is sliced
    # actions[:, n_obs_steps - 1 : n_obs_steps - 1 + n_action_steps]
    sizes = _sizes(config, "n_obs_steps", "n_action_steps", "horizon")
    if sizes is None or sizes[0] - 1 + sizes[1] <= sizes[2]:
        return None
    n_obs, n_action, horizon = sizes
    return (
        f"n_action_steps ({n_action}) must be at most horizon - n_obs_steps + 1 = {horizon - n_obs + 1}: "
        f"a chunk keeps the actions from the current step (index n_obs_steps - 1) on, so it would hold only "
        f"{max(horizon - n_obs + 1, 0)} of the {n_action}; raise horizon to {n_obs - 1 + n_action} or lower "
        "n_action_steps"
    )


# --- per policy ---------------------------------------------------------------------------------------


def _act_camera_embedding(config: PreTrainedConfig) -> str | None:
    # modeling_act.py:363, 686: ACTSinusoidalPositionEmbedding2d(dim_model // 2) stacks dim // 2 sines with
    # dim // 2 cosines per axis, which must add up to dim_model.
    sizes = _sizes(config, "dim_model")
    if sizes is None or sizes[0] % 4 == 0 or not _image_keys(config):
        return None
    return (
        f"dim_model must be a multiple of 4 with cameras ({', '.join(_image_keys(config))}), got {sizes[0]}: "
        "ACT's 2D sinusoidal camera embedding gives dim_model // 2 channels per axis, in sine/cosine pairs"
    )


def _diffusion_groups(config: PreTrainedConfig) -> str | None:
    # modeling_diffusion.py:620: GroupNorm(n_groups, channels) in every block, and (line 706) the final
    # block's GroupNorm uses 8 groups of down_dims[0] whatever n_groups says.
    down_dims = getattr(config, "down_dims", ())
    sizes = _sizes(config, "n_groups")
    if sizes is None or not all(isinstance(d, int) and d >= 1 for d in down_dims):
        return None
    uneven = [d for d in down_dims if d % sizes[0]]
    if uneven:
        return (
            f"every down_dims entry must be a multiple of n_groups ({sizes[0]}), got {tuple(down_dims)}: "
            f"group normalisation splits each block's channels into n_groups ({uneven[0]} does not split)"
        )
    if down_dims and down_dims[0] % 8:
        return (
            f"down_dims[0] must be a multiple of 8, got {down_dims[0]}: the U-Net's final block normalises "
            "its down_dims[0] channels in 8 groups, whatever n_groups says"
        )
    return None


def _odd_kernel(config: PreTrainedConfig) -> str | None:
    # modeling_diffusion.py:619: Conv1d(..., kernel_size, padding=kernel_size // 2) keeps the length if odd.
    sizes = _sizes(config, "kernel_size")
    if sizes is None or sizes[0] % 2 == 1:
        return None
    return (
        f"kernel_size must be odd, got {sizes[0]}: the U-Net pads each side by kernel_size // 2, which keeps "
        f"the sequence length only for odd kernels; try {sizes[0] - 1} or {sizes[0] + 1}"
    )


def _rope_head_dim(config: PreTrainedConfig) -> str | None:
    # modeling_multi_task_dit.py:416: RoPE rotates pairs of each head's features.
    sizes = _sizes(config, "hidden_dim", "num_heads")
    if not getattr(config, "use_rope", False) or sizes is None or sizes[0] % sizes[1]:
        return None  # the config itself refuses a hidden_dim that num_heads does not divide
    head_dim = sizes[0] // sizes[1]
    if head_dim % 2 == 0:
        return None
    return (
        f"with use_rope, hidden_dim / num_heads (the head size, {sizes[0]} / {sizes[1]} = {head_dim}) must "
        "be even: rotary embeddings rotate pairs of each head's features"
    )


def _tdmpc_elites(config: PreTrainedConfig) -> str | None:
    # modeling_tdmpc.py:224: topk(value, n_elites) over the n_gaussian_samples + n_pi_samples candidates.
    elites, gaussian = getattr(config, "n_elites", 0), getattr(config, "n_gaussian_samples", 0)
    pi_samples = getattr(config, "n_pi_samples", 0)
    if not getattr(config, "use_mpc", False) or not all(
        isinstance(n, int) and n >= 0 for n in (elites, gaussian, pi_samples)
    ):
        return None
    if elites <= gaussian + pi_samples:
        return None
    return (
        f"n_elites ({elites}) must be at most the candidates CEM plans with, n_gaussian_samples + "
        f"n_pi_samples = {gaussian} + {pi_samples} = {gaussian + pi_samples}: the elites are the best of "
        "those"
    )


def _tdmpc_std_order(config: PreTrainedConfig) -> str | None:
    # modeling_tdmpc.py:249: std.clamp_(min_std, max_std).
    low, high = getattr(config, "min_std", None), getattr(config, "max_std", None)
    if not isinstance(low, int | float) or not isinstance(high, int | float) or low <= high:
        return None
    return (
        f"min_std ({low}) must not exceed max_std ({high}): CEM clamps its standard deviation to "
        "[min_std, max_std]"
    )


def _vqbet_block_size(config: PreTrainedConfig) -> str | None:
    # modeling_vqbet.py:357-371, vqbet_utils.py:206: per observation step a token per input feature and an
    # action token, then n_action_pred_token - 1 more, all within gpt_block_size.
    sizes = _sizes(config, "n_obs_steps", "n_action_pred_token", "gpt_block_size")
    inputs = len(config.input_features or {})
    if sizes is None or not inputs:
        return None
    n_obs, n_pred, block = sizes
    tokens = n_obs * (inputs + 1) + n_pred - 1
    if tokens <= block:
        return None
    return (
        f"gpt_block_size ({block}) must hold the {tokens} tokens the GPT reads: n_obs_steps ({n_obs}) x "
        f"({inputs} input features + 1 action token) + n_action_pred_token ({n_pred}) - 1"
    )


def _torchvision_backbone(config: PreTrainedConfig) -> str | None:
    # modeling_act.py:326, modeling_diffusion.py:501, modeling_vqbet.py:672:
    # getattr(torchvision.models, vision_backbone)(weights=pretrained_backbone_weights, ...)
    import torchvision  # type: ignore[import-untyped]

    name = str(getattr(config, "vision_backbone", ""))
    models = torchvision.models.list_models(module=torchvision.models)
    if name not in models:
        resnets = [model for model in models if model.startswith("resnet")]
        return (
            f"vision_backbone {name!r} is not a torchvision model.{did_you_mean(name, resnets)} "
            f"{type(config).__name__} takes a ResNet: {', '.join(resnets)}"
        )
    weights = getattr(config, "pretrained_backbone_weights", None)
    if weights is None:
        return None
    enum = torchvision.models.get_model_weights(name)
    try:
        enum.verify(weights)
    except (KeyError, TypeError, ValueError):
        valid = [f"{enum.__name__}.{member}" for member in enum.__members__]
        return (
            f"pretrained_backbone_weights {weights!r} are not weights of {name}."
            f"{did_you_mean(str(weights), valid)} {name}'s weights: {', '.join(valid)}, or None for random "
            "initialisation"
        )
    return None


def _group_norm_without_weights(config: PreTrainedConfig) -> str | None:
    # modeling_diffusion.py:508, modeling_vqbet.py:679 (after downloading the weights): group norm replaces
    # the backbone's batch norm, which would ruin pretrained weights.
    weights = getattr(config, "pretrained_backbone_weights", None)
    if not (getattr(config, "use_group_norm", False) and weights) or not _image_keys(config):
        return None  # no camera, no backbone
    return (
        f"use_group_norm replaces the backbone's batch norm, which would ruin pretrained_backbone_weights "
        f"({weights!r}): set use_group_norm=False to keep the weights, or pretrained_backbone_weights=None"
    )


_HEADS = "attention splits it into equal heads"
_WINDOW = Rule(("n_obs_steps", "n_action_steps", "horizon"), _action_window)
_BACKBONE = Rule(("vision_backbone", "pretrained_backbone_weights"), _torchvision_backbone)
_GROUP_NORM = Rule(
    ("use_group_norm", "pretrained_backbone_weights", "input_features"), _group_norm_without_weights
)
RULES: Mapping[str, tuple[Rule, ...]] = {
    "act": (
        _divisible("dim_model", "n_heads", f"{_HEADS} (modeling_act.py:537)"),
        Rule(("dim_model", "input_features"), _act_camera_embedding),
        _BACKBONE,
    ),
    "diffusion": (
        _WINDOW,
        Rule(("down_dims", "n_groups"), _diffusion_groups),
        Rule(("kernel_size",), _odd_kernel),
        _even_embedding("diffusion_step_embed_dim", "modeling_diffusion.py:604"),
        _BACKBONE,
        _GROUP_NORM,
    ),
    "evo1": (
        _divisible("embed_dim", "num_heads", f"{_HEADS} (evo1/flow_matching.py:151)"),
        _even(
            "embed_dim",
            "its sinusoidal encodings interleave embed_dim / 2 sines and cosines (flow_matching.py:26)",
        ),
    ),
    "multi_task_dit": (
        _WINDOW,
        Rule(("use_rope", "hidden_dim", "num_heads"), _rope_head_dim),
        _even_embedding("timestep_embed_dim", "modeling_multi_task_dit.py:403"),
    ),
    "smolvla": (
        # smolvlm_with_expert.py:114 asserts it after loading the VLM; the expert's layers then pair with
        # every (num_vlm_layers // num_expert_layers)-th VLM layer (:399). num_vlm_layers <= 0 keeps the
        # VLM's own depth, unknown offline, and num_expert_layers <= 0 matches it: both skip the rule.
        _divisible(
            "num_vlm_layers",
            "num_expert_layers",
            "the action expert's layers are spread evenly over the VLM's (smolvlm_with_expert.py:114)",
        ),
    ),
    "tdmpc": (
        Rule(("use_mpc", "n_elites", "n_gaussian_samples", "n_pi_samples"), _tdmpc_elites),
        Rule(("min_std", "max_std"), _tdmpc_std_order),
    ),
    "vqbet": (
        _divisible("gpt_hidden_dim", "gpt_n_head", f"{_HEADS} (vqbet_utils.py:99)"),
        Rule(("n_obs_steps", "n_action_pred_token", "gpt_block_size", "input_features"), _vqbet_block_size),
        _BACKBONE,
        _GROUP_NORM,
    ),
    "xvla": (_divisible("hidden_size", "num_heads", f"{_HEADS} (xvla/soft_transformer.py:113)"),),
}
