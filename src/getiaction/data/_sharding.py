"""Dealing one episode-aware training order to DDP ranks in whole batches, as accelerate deals them."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

from torch.utils.data import DistributedSampler

from getiaction._lerobot.compat import EpisodeAwareSampler, LeRobotDataset


class ShardedEpisodeSampler(DistributedSampler[int]):
    """One rank's share of an ``EpisodeAwareSampler``'s order, in whole batches, as accelerate shards it.

    accelerate's ``BatchSamplerShard`` (``even_batches=True``, what ``lerobot-train`` runs under) deals
    the global batches round-robin and completes the last round with the epoch's first samples, so
    every rank trains on the same number of full batches. Being a ``DistributedSampler``, Lightning
    leaves it in place instead of wrapping (and reshuffling) it.
    """

    def __init__(
        self,
        order: EpisodeAwareSampler,
        dataset: LeRobotDataset,
        batch_size: int,
        num_replicas: int,
        rank: int,
    ) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=False)
        self.order = order
        self.batch_size = batch_size
        self._start_batch = 0

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self.order.set_epoch(epoch)

    def resume(self, epoch: int, start_batch: int) -> None:
        """Continue ``epoch`` after this rank's first ``start_batch`` batches."""
        self.set_epoch(epoch)
        self._start_batch = start_batch

    def __iter__(self) -> Iterator[int]:
        start, self._start_batch = self._start_batch, 0
        order = list(self.order)
        batches = [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        mine = list(shard_batches(batches, self.num_replicas, self.rank, self.batch_size))
        return iter([index for batch in mine[start:] for index in batch])

    def __len__(self) -> int:
        global_batches = math.ceil(len(self.order) / self.batch_size)
        return math.ceil(global_batches / self.num_replicas) * self.batch_size


def shard_batches(
    batches: Sequence[list[int]], num_processes: int, process_index: int, batch_size: int
) -> Iterator[list[int]]:
    """The batches process ``process_index`` trains on: accelerate's ``BatchSamplerShard._iter_with_no_split``
    with ``even_batches=True`` and ``drop_last=False`` (its defaults under ``lerobot-train``)."""
    initial: list[int] = []
    to_yield: list[int] | None = None
    batch: list[int] = []
    index = -1
    for index, batch in enumerate(batches):
        if index < num_processes:
            initial += batch  # kept to complete the last round
        if index % num_processes == process_index:
            to_yield = batch
        if index % num_processes == num_processes - 1 and len(batch) == batch_size:
            assert to_yield is not None
            yield to_yield
            to_yield = None
    if not initial:
        return
    if to_yield and len(to_yield) == batch_size:
        yield to_yield
    while len(initial) < num_processes * batch_size:  # fewer samples than one round
        initial += initial
    if len(batch) == batch_size:
        batch = []
        index += 1
    cycle = 0
    while index % num_processes != 0 or batch:
        end = cycle + batch_size - len(batch)
        batch = batch + initial[cycle:end]
        if index % num_processes == process_index:
            yield batch
        cycle = end
        batch = []
        index += 1
