"""The one patch of LeRobot in the test assets: PaliGemma at tiny sizes, for pi0, pi05 and pi0_fast.

Applied by the ``tiny_paligemma`` fixture (tests/vla/conftest.py) and by the bench's tiny LoRA case
(tests/bench/lora_finetune.py), each through a ``pytest.MonkeyPatch`` that undoes it.
"""

from __future__ import annotations

from typing import Any

import pytest


def shrink_paligemma(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shrink the PaliGemma sizes pi0, pi05 and pi0_fast hard-code; nothing else patches model sizes.

    Upstream, ``modeling_pi0.get_gemma_config`` (and its copies in ``modeling_pi05`` and
    ``modeling_pi0_fast``) accepts only ``gemma_300m`` and ``gemma_2b``, and ``PaliGemmaWithExpertModel``
    / ``PI0FastPaliGemma.__init__`` fix the vocabulary (257152), SigLIP's size and projection (2048)
    before constructing ``PaliGemmaForConditionalGenerationWithPiGemma`` and ``PiGemmaForCausalLM``.
    Both names are replaced in each modeling module's namespace, until ``monkeypatch`` undoes it. Eight heads stay:
    ``compute_layer_complete`` reshapes attention outputs to ``8 * head_dim``.
    """
    from lerobot.policies.pi0 import modeling_pi0
    from lerobot.policies.pi0_fast import modeling_pi0_fast
    from lerobot.policies.pi05 import modeling_pi05

    from vla.assets.builders.paligemma import PALIGEMMA_VOCAB, PI_IMAGE_SIZE

    def tiny_vlm(config: Any) -> Any:
        text, vision = config.text_config, config.vision_config
        config._vocab_size = text.vocab_size = config.image_token_index = PALIGEMMA_VOCAB
        vision.hidden_size, vision.intermediate_size = 32, 64
        vision.num_hidden_layers, vision.num_attention_heads = 1, 2
        vision.image_size, vision.patch_size = PI_IMAGE_SIZE, 16
        vision.projection_dim = text.hidden_size  # image tokens join the language stream
        return config

    for module in (modeling_pi0, modeling_pi05, modeling_pi0_fast):
        sizes = {
            "gemma_2b": module.GemmaConfig(
                width=32, depth=1, mlp_dim=64, num_heads=8, num_kv_heads=1, head_dim=4
            ),
            "gemma_300m": module.GemmaConfig(
                width=16, depth=1, mlp_dim=32, num_heads=8, num_kv_heads=1, head_dim=4
            ),
        }
        monkeypatch.setattr(module, "get_gemma_config", sizes.__getitem__)
        vlm_class = module.PaliGemmaForConditionalGenerationWithPiGemma
        monkeypatch.setattr(
            module,
            "PaliGemmaForConditionalGenerationWithPiGemma",
            lambda config, vlm_class=vlm_class: vlm_class(config=tiny_vlm(config)),
        )
        expert_class = getattr(module, "PiGemmaForCausalLM", None)
        if expert_class is not None:

            def tiny_expert(config: Any, expert_class: Any = expert_class) -> Any:
                config.vocab_size = PALIGEMMA_VOCAB  # its embeddings are dropped; only lm_head remains
                return expert_class(config=config)

            monkeypatch.setattr(module, "PiGemmaForCausalLM", tiny_expert)
