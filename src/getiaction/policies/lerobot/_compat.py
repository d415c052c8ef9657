"""LeRobot names that moved between releases, reached from one place.

The hand-written runtime imports these from here instead of from LeRobot, so that a LeRobot release
which moved them needs one edit here, not a hunt through the runtime.
"""

from __future__ import annotations

from lerobot.utils.feature_utils import dataset_to_policy_features

__all__ = ["dataset_to_policy_features"]
