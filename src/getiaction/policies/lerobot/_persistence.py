"""Persistence: Lightning checkpoints (hooks, RNG, ``load_from_checkpoint``) and LeRobot's pretrained format.

Files are read and checked by ``_saved_files`` (one ``CheckpointRecord``, checked once) and
``_pretrained_files``, and written by
``_atomic_save``; this mixin connects them to the module. A checkpoint restored by ``Trainer.fit(...,
ckpt_path=...)`` resumes: its statistics and RNG state come back. ``load_from_checkpoint`` and
``from_pretrained`` only load: fitting such a module on a dataset is a fine-tune (``_construction``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Self

import torch
from lerobot.utils.random_utils import deserialize_rng_state, serialize_rng_state
from torch import Tensor

from getiaction._lerobot.version import lerobot_version
from getiaction.errors import SavedPolicyError
from getiaction.policies.lerobot._atomic_save import write_pretrained
from getiaction.policies.lerobot._construction import ConfigT, ConstructionMixin
from getiaction.policies.lerobot._peft import save_adapter
from getiaction.policies.lerobot._pretrained_files import read_pretrained_config, weights_mismatch
from getiaction.policies.lerobot._saved_files import (
    CHECKPOINT_KEY,
    CheckpointRecord,
    checkpoint_config,
    read_checkpoint,
    with_overrides,
)


class PersistenceMixin(ConstructionMixin[ConfigT]):
    """Checkpoint hooks, ``load_from_checkpoint``, ``save_pretrained`` and ``from_pretrained``."""

    _pending_rng_state: dict[str, Tensor] | None = None  # restored at the first resumed step

    # --- Lightning checkpoints ------------------------------------------------------------------------

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        record = CheckpointRecord(self.policy_type, lerobot_version(), self._stats, serialize_rng_state())
        checkpoint[CHECKPOINT_KEY] = record.to_checkpoint()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Lightning restores a checkpoint into this module: a resume, so the RNG state comes back too."""
        self._restore(CheckpointRecord.read(checkpoint, self._subject), resume=True)

    def _restore(self, record: CheckpointRecord, *, resume: bool) -> None:
        if record.policy_type != self.policy_type:
            raise SavedPolicyError(
                f"{self._subject}: the checkpoint holds a {record.policy_type!r} policy, not {self.policy_type!r}"
            )
        # Saved from self._stats: under the policy's names, renamed once already.
        self._set_stats(record.stats, subject=f"{self._subject} (checkpoint)", dataset_names=False)
        # Only a resume continues the random stream; a loaded checkpoint fit on anything else draws anew.
        self._pending_rng_state = record.rng_state if resume else None

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        # Restored here, not on load: Lightning draws from the RNG when it starts a DataLoader
        # iterator, which an uninterrupted run did before the checkpoint, not after it.
        if self._pending_rng_state is not None:
            deserialize_rng_state(self._pending_rng_state)
            self._pending_rng_state = None

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str | Path,
        map_location: Any = None,
        hparams_file: str | Path | None = None,
        strict: bool | None = None,
        weights_only: bool | None = None,
        **kwargs: Any,
    ) -> Self:
        """Rebuild the module from a Lightning checkpoint; nothing pickled is executed.

        The file is checked first: a checkpoint of another policy or LeRobot release, a missing or
        unreadable file, or hyperparameters this LeRobot does not know are errors naming the file.
        ``kwargs`` override saved parameters, as in Lightning. ``weights_only=False`` is refused:
        getiaction checkpoints hold plain values only.

        The module is loaded, not resumed: fitting it on a dataset fine-tunes it (that dataset's statistics,
        the random stream the caller seeds), as ``from_pretrained`` does. To continue the run itself, pass
        ``ckpt_path`` to ``Trainer.fit``: that restores the saved statistics, RNG state and optimizer.
        """
        if weights_only is False:
            raise ValueError(
                f"{cls.__name__}.load_from_checkpoint: getiaction checkpoints load with weights_only"
            )
        path = Path(checkpoint_path)
        if map_location is None and not torch.cuda.is_available():
            map_location = "cpu"
        checkpoint, record = read_checkpoint(path, map_location)
        if not cls.loads_policy_type(record.policy_type):
            raise SavedPolicyError(
                f"{path}: holds a {record.policy_type!r} policy, which {cls.__name__} cannot load; use its own "
                "class or LeRobotPolicy"
            )
        config, options, hparams = checkpoint_config(
            checkpoint, record, path, hparams_file=hparams_file, overrides=kwargs, subject=cls.__name__
        )
        module = cls._from_config(config, options=options, build=cls._declares_features(hparams))
        module._from_checkpoint = True  # fitting it on a dataset fine-tunes, as from_pretrained's
        module._restore(record, resume=False)
        try:
            module.load_state_dict(checkpoint["state_dict"], strict=True if strict is None else strict)
        except RuntimeError as error:
            readable = weights_mismatch(error, str(path), kwargs)
            if readable is None:
                raise
            raise readable from error
        first = next((t for t in checkpoint["state_dict"].values() if isinstance(t, Tensor)), None)
        return module.to(first.device) if first is not None else module

    # --- LeRobot's pretrained format ---------------------------------------------------------------------

    def save_pretrained(self, directory: str | Path) -> Path:
        """Write LeRobot's pretrained layout, as ``lerobot-train`` does: what ``XPolicy.from_pretrained``
        and ``make_pre_post_processors(config, pretrained_path=...)`` load.

        The write is atomic: a crash leaves the previous save (or none), never a mix of both.
        """
        policy, preprocessor, postprocessor = self._prepared_policy()

        def write(staging: Path) -> None:
            if self._config.use_peft:  # the adapter over its base, as make_policy(use_peft=True) loads it
                save_adapter(policy, self._config, staging)
            else:
                policy.save_pretrained(staging)
            preprocessor.save_pretrained(staging)
            postprocessor.save_pretrained(staging)

        return write_pretrained(Path(directory), self.policy_type, write)

    @classmethod
    def from_pretrained(
        cls, pretrained_name_or_path: str | Path, *, revision: str | None = None, **overrides: Any
    ) -> Self:
        """Load a policy saved by LeRobot (``save_pretrained``, ``lerobot-train``, the hub) into this class.

        Weights load strictly: a file that does not fit the policy is an error, never a partial load.
        ``overrides`` change config fields, e.g. ``device="cpu"`` or ``n_action_steps=10``, and take the
        wrapper-only ``rename_map`` and ``peft`` (LoRA adapters over the loaded weights).

        Fitting the loaded policy on a dataset (a ``LeRobotDataModule``) fine-tunes it as ``lerobot-train
        --policy.path`` does: its input features are kept (the dataset must fit them), and the processors
        normalise with that dataset's statistics, not the saved ones. Only a resume (``ckpt_path`` given to
        ``Trainer.fit``) keeps saved statistics.
        """
        source = str(pretrained_name_or_path)
        config = read_pretrained_config(source, revision)
        if not cls.loads_policy_type(config.type):
            raise SavedPolicyError(
                f"{source}: holds a {config.type!r} policy, which {cls.__name__} cannot load; use its own class "
                "or LeRobotPolicy.from_pretrained"
            )
        config, options = with_overrides(config, overrides, subject=f"{cls.__name__}.from_pretrained")
        # As lerobot-train sets it: weights and processors load from here.
        config.pretrained_path = Path(source)
        config.pretrained_revision = revision
        module = cls._from_config(config, options=options, build=False, declared=True)
        module._build(strict=True)
        module.eval()  # as LeRobot's from_pretrained
        return module
