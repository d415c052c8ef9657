"""The one hand-written ``LightningModule`` behind every generated LeRobot wrapper, composed by concern.

Generated classes add only a typed signature, documentation and their upstream config class. Each
concern lives in its own mixin, and each delegates to LeRobot:

- ``_construction``: every way to make a module, building the native policy and its processors as
  ``make_policy`` does, the statistics' one owner;
- ``_training``: LeRobot's training recipe (``lerobot_train``'s step, optimizer, scheduler, clipping);
- ``_inference``: raw observations in, unnormalised actions out;
- ``_persistence``: Lightning checkpoints and LeRobot's pretrained format.
"""

from __future__ import annotations

from getiaction.policies.lerobot._construction import ConfigT
from getiaction.policies.lerobot._inference import InferenceMixin
from getiaction.policies.lerobot._persistence import PersistenceMixin
from getiaction.policies.lerobot._training import TrainingMixin

__all__ = ["LeRobotPolicyModule"]


# pyright sees PersistenceMixin.load_from_checkpoint (paths only: checkpoints are checked as files) beside
# LightningModule's (paths or open files) through the other mixins' bases; mypy accepts the override.
class LeRobotPolicyModule(  # pyright: ignore[reportIncompatibleMethodOverride]
    TrainingMixin[ConfigT], InferenceMixin[ConfigT], PersistenceMixin[ConfigT]
):
    """A LeRobot policy, its processors and LeRobot's training recipe, as a ``LightningModule``.

    The native policy is ``lerobot_policy``; its pre/post processors are ``preprocessor`` and
    ``postprocessor``. They are built at construction when input and output features are given,
    otherwise from a dataset: ``from_dataset``, or ``setup()`` with a ``LeRobotDataModule``.
    """
