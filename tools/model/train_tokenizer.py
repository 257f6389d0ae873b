"""Train the byte-level BPE on the corpus and write HF tokenizer files.

Writes models/facts-lm/tokenizer.json and tokenizer_config.json in the format
the Rust `tokenizers` library and transformers.js both load.
"""
import collections
import json
import os

import bpe
from common import CONTEXT_LENGTH, MODEL_DIR, SPECIAL_ID, SPECIAL_TOKEN, WORK_DIR

VOCAB_SIZE = 1400  # special + 256 bytes + merges


def read_documents(name):
    with open(os.path.join(WORK_DIR, name)) as fh:
        text = fh.read()
    docs = text.split(SPECIAL_TOKEN)
    assert docs[-1] == ""
    return docs[:-1]


def build_vocab(merges):
    # Id 0 is the special token; bytes follow in byte order, then merges in
    # the order learned, so ids are reproducible from the merges alone.
    vocab = {SPECIAL_TOKEN: SPECIAL_ID}
    for b in range(256):
        vocab[bpe.BYTE_ENCODER[b]] = len(vocab)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab


def tokenizer_json(vocab, merges):
    special = {"id": SPECIAL_ID, "content": SPECIAL_TOKEN, "single_word": False, "lstrip": False,
               "rstrip": False, "normalized": False, "special": True}
    bos = {"SpecialToken": {"id": SPECIAL_TOKEN, "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [special],
        "normalizer": None,
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": bpe.PRETOKENIZE_PATTERN},
                 "behavior": "Isolated", "invert": False},
                # use_regex false: the Split above already chose the pieces;
                # GPT-2's regex would cut punctuation off letters again.
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                 "use_regex": False},
            ],
        },
        # Prepend <|endoftext|> as BOS: in training every document follows one.
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [bos, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [bos, {"Sequence": {"id": "A", "type_id": 0}}, bos,
                     {"Sequence": {"id": "B", "type_id": 0}}],
            "special_tokens": {SPECIAL_TOKEN: {"id": SPECIAL_TOKEN, "ids": [SPECIAL_ID],
                                               "tokens": [SPECIAL_TOKEN]}},
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                    "use_regex": False},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None,
            "continuing_subword_prefix": None, "end_of_word_suffix": None,
            "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [list(m) for m in merges],
        },
    }


def tokenizer_config():
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": SPECIAL_TOKEN,
        "eos_token": SPECIAL_TOKEN,
        "pad_token": SPECIAL_TOKEN,
        "unk_token": SPECIAL_TOKEN,
        "add_bos_token": True,
        "add_eos_token": False,
        "model_max_length": CONTEXT_LENGTH,
        "padding_side": "left",  # batched prompts end together, ready to generate
        "clean_up_tokenization_spaces": False,  # the default rewrites " ." etc.
        "added_tokens_decoder": {str(SPECIAL_ID): {
            "content": SPECIAL_TOKEN, "lstrip": False, "normalized": False, "rstrip": False,
            "single_word": False, "special": True}},
    }


def main():
    # Merges come from the throwaway-people corpus (see make_world.py); the
    # statistics below are for the real training corpus.
    merges = bpe.train(collections.Counter(read_documents("tokenizer_corpus.txt")).items(),
                       VOCAB_SIZE - 257)
    counts = collections.Counter(read_documents("corpus.txt"))
    vocab = build_vocab(merges)
    with open(os.path.join(MODEL_DIR, "tokenizer.json"), "w") as fh:
        json.dump(tokenizer_json(vocab, merges), fh, ensure_ascii=False)
    with open(os.path.join(MODEL_DIR, "tokenizer_config.json"), "w") as fh:
        json.dump(tokenizer_config(), fh, indent=2)

    enc = bpe.Encoder(vocab, merges, {SPECIAL_TOKEN: SPECIAL_ID})
    n_tokens = sum(len(enc.encode(d)) * c for d, c in counts.items())
    n_chars = sum(len(d) * c for d, c in counts.items())
    for d in list(counts)[:5]:
        assert enc.decode(enc.encode(d)) == d
    print(f"vocab {len(vocab)} ({len(merges)} merges); corpus {n_tokens} tokens, "
          f"{n_chars / n_tokens:.2f} chars/token")


if __name__ == "__main__":
    main()
