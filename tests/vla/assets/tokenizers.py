"""Tokenizers trained at test time on a few sentences, saved where a policy's config points.

Text tokenizers of the three kinds the backbones take (byte-level BPE, Unigram for UMT5, a fixed-size
byte vocabulary for PaliGemma), Qwen's chat layout over the BPE one, and FAST action tokenizers.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

SENTENCES = [
    "reach the origin",
    "pick up the red cube and place it in the box",
    "Action: move the arm to the left",
    "the robot moves its gripper up and down",
    "User: what should the robot do? Assistant: reach the origin",
    "0 1 2 3 4 5 6 7 8 9 , . : ; ! ? ( ) [ ] { } < > / | - _ + = * # @",
]


def _saved(tokenizer: Any, directory: Path) -> Any:
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(directory)
    return tokenizer


def bpe_tokenizer(
    directory: Path, *, specials: Sequence[str] = (), vocab_size: int = 400, **kwargs: Any
) -> Any:
    """A byte-level BPE tokenizer trained on a few sentences, saved as a PreTrainedTokenizerFast.

    ``kwargs`` go to PreTrainedTokenizerFast (a chat template, extra special tokens).
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    base = ["<pad>", "<s>", "</s>", "<unk>"]
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[*base, *specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        **kwargs,
    )
    return _saved(fast, directory)


def unigram_tokenizer(directory: Path, vocab_size: int = 200) -> Any:
    """A Unigram tokenizer saved as T5TokenizerFast: UMT5's tokenizer class rejects a BPE model."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import T5TokenizerFast

    tokenizer = Tokenizer(models.Unigram())
    tokenizer.normalizer = normalizers.NFKC()
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],
        unk_token="<unk>",
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    fast = T5TokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", extra_ids=0
    )
    return _saved(fast, directory)


def byte_tokenizer(directory: Path, size: int, specials: Sequence[str] = ()) -> Any:
    """A byte-level tokenizer of exactly ``size`` entries and no merges (PaliGemma-like: spare ids on top).

    pi0_fast maps FAST action tokens onto the top of the text vocabulary (``vocab_size - 1 - skip -
    token``), so the tokenizer's ``vocab_size`` must equal the model's embedding count.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    names = ["<pad>", "<eos>", "<bos>", "<unk>", *specials, *pre_tokenizers.ByteLevel.alphabet()]
    names += [f"<unused{index}>" for index in range(size - len(names))]
    assert len(names) == size, f"{len(names)} base tokens do not fit in {size}"
    tokenizer = Tokenizer(
        models.BPE(vocab={name: i for i, name in enumerate(names)}, merges=[], unk_token="<unk>")
    )
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="<pad>", bos_token="<bos>", eos_token="<eos>", unk_token="<unk>"
    )
    _saved(fast, directory)
    assert fast.vocab_size == len(fast) == size
    return fast


# --- Qwen's chat layout (groot's Cosmos-Reason2, eo1, vla_jepa, wall_x) ---------------------------

QWEN_TOKENS = {
    "image_token": "<|image_pad|>",
    "video_token": "<|video_pad|>",
    "vision_start_token": "<|vision_start|>",
    "vision_end_token": "<|vision_end|>",
}
QWEN_SPECIALS = ["<|im_start|>", "<|im_end|>", "<|endoftext|>", *QWEN_TOKENS.values()]
# Qwen's chat layout, reduced to what LeRobot's processors render: roles, images, videos and text.
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif item['type'] == 'video' %}<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def qwen_tokenizer(directory: Path, specials: Sequence[str] = ()) -> Any:
    """A BPE tokenizer with Qwen's vision tokens and chat template, and ``specials`` besides."""
    return bpe_tokenizer(
        directory,
        specials=[*QWEN_SPECIALS, *specials],
        extra_special_tokens=dict(QWEN_TOKENS),
        chat_template=QWEN_CHAT_TEMPLATE,
    )


def qwen_token_ids(tokenizer: Any) -> dict[str, int]:
    """Qwen-VL config fields naming the vision tokens' ids: ``image_token_id``, ``video_token_id``, ..."""
    return {f"{name}_id": tokenizer.convert_tokens_to_ids(token) for name, token in QWEN_TOKENS.items()}


# --- FAST action tokenizers (pi0_fast, molmoact2) --------------------------------------------------


def fast_action_tokenizer(directory: Path, chunk_size: int, action_dim: int, vocab_size: int = 128) -> None:
    """A FAST action tokenizer (DCT + BPE) fitted on random chunks, loadable as remote code.

    The processor class is LeRobot's own FAST implementation (vendored for molmoact2); a one-line module
    beside the files re-exports it, and processor_config.json's auto_map names that module, as the hub's
    physical-intelligence/fast repository does with its own copy.
    """
    import json

    import numpy as np
    from lerobot.policies.molmoact2.molmoact2_hf_model.action_tokenizer import UniversalActionProcessor

    rng = np.random.default_rng(0)
    chunks = [rng.normal(scale=0.5, size=(chunk_size, action_dim)) for _ in range(64)]
    processor = UniversalActionProcessor.fit(chunks, scale=10, vocab_size=vocab_size)
    # The tokenizer and processor_config.json by hand: once AutoProcessor has loaded the class as remote
    # code, ProcessorMixin.save_pretrained would try to copy the class's own module and its imports.
    processor.tokenizer.save_pretrained(directory)
    module = "processing_action_tokenizer"
    (directory / f"{module}.py").write_text(
        f"from {UniversalActionProcessor.__module__} import UniversalActionProcessor\n\n"
        '__all__ = ["UniversalActionProcessor"]\n'
    )
    config = {
        "processor_class": "UniversalActionProcessor",
        "auto_map": {"AutoProcessor": f"{module}.UniversalActionProcessor"},
        "scale": processor.scale,
        "vocab_size": processor.vocab_size,
        "min_token": processor.min_token,
    }
    (directory / "processor_config.json").write_text(json.dumps(config, indent=2))
