"""Paths and constants shared by the facts-LM build scripts.

Everything that two scripts must agree on lives here, so a change (say, the
context length) cannot leave the tokenizer config and the ONNX graph out of step.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
MODEL_DIR = os.path.join(REPO, "models", "facts-lm")
WORLD_DIR = os.path.join(MODEL_DIR, "world")
# Build intermediates (corpus, checkpoint, reference logits) are gitignored.
WORK_DIR = os.path.join(HERE, "work")

# One special token does every job (BOS, EOS, PAD), as in GPT-2. Id 0 keeps it
# stable no matter how many merges the tokenizer learns.
SPECIAL_TOKEN = "<|endoftext|>"
SPECIAL_ID = 0

CONTEXT_LENGTH = 256
SEED = 1234


def ensure_dirs():
    for d in (MODEL_DIR, WORLD_DIR, WORK_DIR, os.path.join(MODEL_DIR, "onnx")):
        os.makedirs(d, exist_ok=True)


def fill(template, fields):
    """Substitute {placeholders} by plain string replacement.

    str.format would trip over the literal braces of the JSON templates; plain
    replacement is also exactly what the TypeScript side does, so both agree.
    """
    out = template
    for key, value in fields.items():
        out = out.replace("{" + key + "}", str(value))
    return out
