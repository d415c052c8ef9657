"""The errors getiaction raises about its input: one small family, each naming what was wrong.

Importing this module imports nothing heavy: `except getiaction.errors.GetiActionError` works anywhere.

Every message names the field, feature or file, what was expected and what was given. Each class
also derives from the built-in exception that code written before it caught (``ValueError``,
``TypeError``, ``ImportError``), so existing handlers keep working; ``GetiActionError`` catches them all.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GetiActionError(Exception):
    """Base of every error getiaction raises about a user's input, files or environment."""


class ConfigError(GetiActionError, ValueError):
    """A policy parameter whose value is invalid: unparsable, out of range, or refused by LeRobot."""


class ConfigTypeError(GetiActionError, TypeError):
    """A policy parameter that does not exist, or a value of the wrong kind (a bool for a number)."""


class FeatureError(GetiActionError, ValueError):
    """Declared input/output features that do not fit each other, the dataset or the statistics."""


class StatsError(GetiActionError, ValueError):
    """Normalisation statistics that are missing, not finite, or of the wrong shape."""


class BatchError(GetiActionError, ValueError):
    """A training batch or an observation that does not carry what the policy's features declare."""


class DatasetError(GetiActionError, ValueError):
    """A dataset that cannot be opened or split as asked: no dataset at ``root``, unknown or no episodes."""


class SavedPolicyError(GetiActionError, ValueError):
    """A checkpoint or pretrained directory that cannot be loaded as it is; the message names the file."""


class LeRobotVersionError(GetiActionError, ImportError):
    """The installed LeRobot is not the release the wrappers were generated from."""


class MissingExtraError(GetiActionError, ImportError):
    """A policy needs optional dependencies that are not installed; the message names the extra."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """``" Did you mean: a, b?"`` for a misspelled name, or an empty string."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(matches)}?" if matches else ""
