"""A config with one field of every kind the generator knows, for its golden tests.

String annotations on purpose: the generator must resolve them like LeRobot's
``from __future__ import annotations`` modules.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

from lerobot.configs.policies import PreTrainedConfig
from lerobot.optim.optimizers import AdamWConfig


class Mode(str, enum.Enum):  # noqa: UP042 - the str-enum pattern LeRobot uses
    FAST = "FAST"
    SLOW = "SLOW"


@dataclass
class Inner:
    width: int = 4
    names: list[str] = field(default_factory=lambda: ["a"])


@dataclass
class BaseSampleConfig(PreTrainedConfig):  # type: ignore[no-untyped-call]  # draccus registry hook
    """Base of the sample config, on LeRobot's own base (its fields come first, as in every policy).

    Args:
        seed: A "quoted" word, a backslash \\ and a tab escape \\t stay as written.
    """

    seed: int = 0
    # Device from the base class; the subclass re-declares the field without a comment.
    device: str | None = None


@dataclass
class SampleConfig(BaseSampleConfig):  # type: ignore[no-untyped-call]  # draccus registry hook
    """Configuration of a sample policy whose docs say \"\"\"three quotes\"\"\".

    Notes on the inputs:
        - a bullet that stays as written.

    Args:
        steps: How many "steps" to take, read from C:\\path\\to\\file.
        pair: The two coefficients,
            continued on an indented line.
        shape (tuple): An entry with a parenthesised type.
    """

    steps: int = 10
    device: str | None = "cpu"
    optional_old: Optional[int] = None  # noqa: UP045
    union_old: Union[int, str] = 3  # noqa: UP007
    mode: Mode = Mode.FAST
    modes: dict[str, Mode] = field(default_factory=lambda: {"a": Mode.SLOW, "b": Mode.FAST})
    inner: Inner = field(default_factory=Inner)
    inner_changed: Inner | None = field(default_factory=lambda: Inner(width=8))
    shape: tuple[int, ...] = (3, 96, 96)
    pair: tuple[float, float] = (0.9, 0.999)
    single: tuple[int] = (1,)
    bare_tuple: tuple = (1, 2)  # type: ignore[type-arg]
    bare_dict: dict | None = None  # type: ignore[type-arg]
    anything: dict[str, Any] = field(default_factory=dict)
    path: Path = Path("/tmp/sample")
    maybe_path: Path | None = None
    choice: Literal["a", "b"] = "a"
    # A callable cannot be written exactly by the type table: it falls back to Any.
    callback: Callable[[int], int] | None = None
    ratio: float = float("inf")
    small: float = 1e-05
    labels: set[str] = field(default_factory=lambda: {"b", "a"})
    required: int = field(kw_only=True)
    # Upstream's own mismatch: a bool default for an int field is respelled 0 and recorded.
    flag_as_int: int = False

    def method(self) -> int:
        return self.steps

    # What PreTrainedConfig leaves abstract; a policy would build its optimizer and batches from these.
    @property
    def observation_delta_indices(self) -> None:
        return None

    @property
    def action_delta_indices(self) -> None:
        return None

    @property
    def reward_delta_indices(self) -> None:
        return None

    def get_optimizer_preset(self) -> AdamWConfig:
        return AdamWConfig()

    def get_scheduler_preset(self) -> None:
        return None

    def validate_features(self) -> None:
        pass

    # Declared after a method: still a field,
    late: bool = True  # and the comment beside it joins the one above.

    # A section header, separated by a blank line, documents nothing.

    undocumented: int = 0
