"""A random-weight model with SmolLM2-135M's layer shapes, for throughput benchmarks only.

Speed does not depend on weight values, so `npm run bench` measures batching on a model whose
per-token cost looks like a real small LM's, not only on the 1.8 M-parameter bundled one. The
layers are SmolLM2-135M's (30 × hidden 576, 9 query / 3 key-value heads, MLP 1,536); the
vocabulary stays the bundled tokenizer's 1,400 so every id decodes. Written to
tools/model/work/bench-smol/ (gitignored), never committed, in fp32 (onnx/model.onnx), q8
(model_quantized.onnx) and q4 (model_q4.onnx), the last two by quantize.py.

Usage: /usr/bin/python3 tools/model/export_bench_model.py
"""
import os
import shutil

import torch

import export
import quantize
from common import MODEL_DIR, WORK_DIR
from model import Config, FactsLM

OUT = os.path.join(WORK_DIR, "bench-smol")


def main():
    torch.manual_seed(0)
    config = Config(vocab_size=1400, hidden_size=576, num_hidden_layers=30, num_attention_heads=9,
                    num_key_value_heads=3, head_dim=64, intermediate_size=1536, max_position_embeddings=256)
    model = FactsLM(config)
    model.eval()
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    with torch.no_grad():
        export.export_onnx(model, os.path.join(OUT, "onnx", "model.onnx"))
    export.MODEL_DIR = OUT  # write_configs writes beside the graph
    export.write_configs(config)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(MODEL_DIR, name), os.path.join(OUT, name))
    for dtype in ("q8", "q4"):
        quantize.quantize_file(os.path.join(OUT, "onnx", "model.onnx"), dtype)
    params = sum(p.numel() for p in model.parameters())
    print(f"wrote {OUT} ({params:,} parameters)")


if __name__ == "__main__":
    main()
