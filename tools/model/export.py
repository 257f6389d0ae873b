"""Export the trained checkpoint to an HF-layout folder for transformers.js.

Writes models/facts-lm/{config.json, generation_config.json, onnx/model.onnx}
and tools/model/work/ref.json (PyTorch logits and tokenizations that
verify.mjs compares against transformers.js).
"""
import json
import os

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

import bpe
import formats as F
from common import (CONTEXT_LENGTH, MODEL_DIR, SEED, SPECIAL_ID, SPECIAL_TOKEN, WORK_DIR,
                    WORLD_DIR, fill)
from model import Config, FactsLM, inference_mask

OPSET = 17  # onnxruntime 1.30 loads it; torch 1.13 writes up to 17


class OnnxWrapper(torch.nn.Module):
    """Flat inputs/outputs in the order and names transformers.js expects."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *past_flat):
        past = [(past_flat[2 * i], past_flat[2 * i + 1]) for i in range(len(past_flat) // 2)]
        allowed = inference_mask(attention_mask, input_ids.shape[1])
        logits, present = self.model(input_ids, position_ids, allowed, past)
        return (logits,) + tuple(t for kv in present for t in kv)


def load_model():
    ckpt = torch.load(os.path.join(WORK_DIR, "model.pt"))
    model = FactsLM(Config(**ckpt["config"]))
    model.load_state_dict(ckpt["state_dict"])
    model.eval()
    return model, ckpt["stats"]


def untie_duplicate_head(path, embedding):
    """Store the tied output head once.

    Constant folding turns `embedding.t()` into a second, transposed copy of
    the embedding (~1 MB). Replace that initializer with a Transpose node fed
    by the embedding initializer itself.
    """
    m = onnx.load(path)
    g = m.graph
    emb_t = embedding.T
    emb_name = dup = None
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        if arr.shape == embedding.shape and np.array_equal(arr, embedding):
            emb_name = init.name
        elif arr.shape == emb_t.shape and np.array_equal(arr, emb_t):
            dup = init
    if dup is None:
        return False
    assert emb_name is not None
    g.initializer.remove(dup)
    g.node.insert(0, helper.make_node("Transpose", [emb_name], [dup.name], perm=[1, 0],
                                      name="tied_lm_head_transpose"))
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return True


def export_onnx(model, path):
    c = model.config
    n = c.num_hidden_layers
    b, s, p = 2, 3, 4  # example sizes; all three are dynamic in the graph
    ids = torch.randint(1, c.vocab_size, (b, s))
    mask = torch.ones(b, p + s, dtype=torch.long)
    pos = torch.arange(p, p + s).repeat(b, 1)
    past = [torch.randn(b, c.num_key_value_heads, p, c.head_dim) for _ in range(2 * n)]

    past_names = [f"past_key_values.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    present_names = [f"present.{i}.{kv}" for i in range(n) for kv in ("key", "value")]
    # transformers.js builds the first, empty cache from these declarations:
    # "batch_size" becomes the batch, every other named dimension starts at 0.
    dynamic = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    dynamic.update({k: {0: "batch_size", 2: "past_sequence_length"} for k in past_names})
    dynamic.update({k: {0: "batch_size", 2: "total_sequence_length"} for k in present_names})
    torch.onnx.export(
        OnnxWrapper(model), (ids, mask, pos, *past), path,
        input_names=["input_ids", "attention_mask", "position_ids"] + past_names,
        output_names=["logits"] + present_names,
        dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True)
    untie_duplicate_head(path, model.embed_tokens.weight.detach().numpy())
    onnx.checker.check_model(onnx.load(path))


def write_configs(c: Config):
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": c.vocab_size,
        "hidden_size": c.hidden_size,
        "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers,
        "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads,
        "head_dim": c.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": c.max_position_embeddings,
        "rms_norm_eps": c.rms_norm_eps,
        "rope_theta": c.rope_theta,
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": SPECIAL_ID,
        "eos_token_id": SPECIAL_ID,
        "pad_token_id": SPECIAL_ID,
        "initializer_range": 0.02,
        "use_cache": True,
        "torch_dtype": "float32",
        # fp32 is the reference weights; without this, WASM would default to q8 (quantize.py writes it).
        "transformers.js_config": {"dtype": "fp32"},
    }
    gen = {"bos_token_id": SPECIAL_ID, "eos_token_id": SPECIAL_ID, "pad_token_id": SPECIAL_ID,
           "max_length": CONTEXT_LENGTH, "do_sample": False}
    for name, obj in (("config.json", config), ("generation_config.json", gen)):
        with open(os.path.join(MODEL_DIR, name), "w") as fh:
            json.dump(obj, fh, indent=2)
            fh.write("\n")


def reference_texts():
    """Texts whose tokenization JS must reproduce: real documents of every kind,
    held-out prompts, and awkward strings (unicode, tabs, runs of spaces)."""
    with open(os.path.join(WORK_DIR, "corpus.txt")) as fh:
        docs = fh.read().split(SPECIAL_TOKEN)[:-1]
    rng = np.random.default_rng(SEED)
    texts = [docs[i] for i in rng.choice(len(docs), 1500, replace=False)]
    with open(os.path.join(WORLD_DIR, "heldout.json")) as fh:
        heldout = json.load(fh)
    for p in heldout[:50]:
        f = F.person_fields(p)
        texts.append(fill(F.JSON_PROMPT + F.json_template(F.JSON_CANONICAL_ORDER), f))
        texts.append(fill(F.QUESTIONS["city"][0]["prompt"], f))
    texts += [
        "", " ", "\n", "  leading spaces", "trailing spaces  ", "tabs\tand\n\nnewlines\n",
        'nested {"a": {"b": [1, 2.5, null, true]}, "c": "d\\"e"}',
        "Unicode: café, naïve, Zürich, 東京, emoji 🎲🙂, math ∑x²",
        "Q: Where was Ada Lovelace born?\nA: London.",
        "A:\n\n\nB:  C:", "1900 1999 2024.", "don't won't it's", "<|endoftext|> inside text",
    ]
    return texts


def write_reference(model, enc):
    # Logits for a few fixed sequences (no padding, no cache): the JS side
    # feeds the same ids and compares every position.
    with open(os.path.join(WORLD_DIR, "known.json")) as fh:
        known = json.load(fh)
    f = F.person_fields(known[0])
    seqs = [
        [SPECIAL_ID] + enc.encode(fill(F.QUESTIONS["city"][0]["prompt"], f)),
        [SPECIAL_ID] + enc.encode(fill(F.JSON_PROMPT + F.json_template(F.JSON_CANONICAL_ORDER), f)),
        [SPECIAL_ID] + enc.encode("Tell me about the weather in an unknown place."),
    ]
    logits = []
    with torch.no_grad():
        for ids in seqs:
            t = torch.tensor([ids])
            mask = torch.ones_like(t)
            out, _ = model(t, torch.arange(len(ids))[None], inference_mask(mask, len(ids)))
            logits.append(out[0].tolist())
    tokenization = [{"text": t, "ids": [SPECIAL_ID] + enc.encode(t)} for t in reference_texts()]
    with open(os.path.join(WORK_DIR, "ref.json"), "w") as fh:
        json.dump({"sequences": seqs, "logits": logits, "tokenization": tokenization}, fh)


def main():
    torch.manual_seed(SEED)
    model, stats = load_model()
    enc = bpe.Encoder.load(os.path.join(MODEL_DIR, "tokenizer.json"))
    path = os.path.join(MODEL_DIR, "onnx", "model.onnx")
    export_onnx(model, path)
    write_configs(model.config)
    write_reference(model, enc)
    with open(os.path.join(WORK_DIR, "train_stats.json"), "w") as fh:
        json.dump(stats, fh, indent=2)
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
