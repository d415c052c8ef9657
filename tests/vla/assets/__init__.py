"""Tiny, offline, random-weight assets for the 14 VLA-type LeRobot policies, written at test time.

By kind: ``tokenizers`` (trained on a few sentences), ``backbones`` (the ones several policies share),
``datasets`` (the tiny image datasets), ``fake_hub`` (hub-cache snapshots for repo ids LeRobot hard-codes),
``builders`` (per policy family: what each policy loads, returned as its config kwargs), ``policies``
(the table the tests build from) and ``paligemma_patch`` (the one patch of LeRobot: PaliGemma's sizes).
Everything is saved with ``save_pretrained`` into temp directories.
"""
