"""Convert a facts-lm-type ONNX export (facts-lm, the bench model) into GGUF files llama.cpp loads.

The model is llama.cpp's `llama` architecture exactly: RMSNorm, rotary embeddings, SwiGLU,
grouped-query attention, and a tied output head (no `output.weight`: llama.cpp then reads the
token embedding, as for any tied llama). Weights are read from the fp32 ONNX graph, not from a
PyTorch checkpoint, so any folder this project exported converts (the checkpoint is not kept).

- Tensor names: the export keeps the norms' and embedding's PyTorch names; the projection
  weights are anonymous `onnx::MatMul_N` initializers stored transposed ([in, out]). They are
  matched to q/k/v/o/gate/up/down by the order the graph runs them in (model.py's forward:
  q, k, v, o, gate, up, down per layer), and every match is checked against its shape and, for
  gate, against the SiLU (Sigmoid) that consumes it.
- Rotary: model.py rotates halves (HF's rotate_half); llama.cpp's llama rotates adjacent pairs,
  so q and k rows are permuted as llama.cpp's own convert_hf_to_gguf.py `LlamaModel.permute`
  does.
- Tokenizer: the byte-level BPE vocabulary and merges by id (`tokenizer.ggml.model` gpt2), the
  one special token as control token, BOS prepended (`add_bos_token`, as our TemplateProcessing).
  The pre-tokenizer is llama.cpp's closest to ours (see PRE_TOKENIZER).
- Quantization (Q8_0, Q4_0) goes through llama.cpp's own `llama_model_quantize`, called with
  ctypes in the libllama that node-llama-cpp's prebuilt package ships, so the quantized files
  are byte for byte what llama-quantize writes.

Usage: /usr/bin/python3 tools/model/gguf.py MODEL_DIR OUT_DIR [F32] [Q8_0] [Q4_0]   (default: all)
Writes OUT_DIR/<name>-<TYPE>.gguf and prints one path per line.
"""
import ctypes
import glob
import json
import os
import platform
import struct
import sys

import numpy as np
import onnx
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGNMENT = 32
# GGUF value types (ggml/include/gguf.h).
T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY = 4, 5, 6, 7, 8, 9
GGML_TYPE_F32 = 0
# llama_ftype (include/llama.h): what llama_model_quantize is asked for.
FTYPES = {"Q8_0": 7, "Q4_0": 2}
# llama_token_type (include/llama.h).
TOKEN_NORMAL, TOKEN_CONTROL = 1, 3
# llama.cpp has no pre-tokenizer with our split regex (runs of newlines, and a break before a space
# or tab followed by a letter or digit). Every byte-level one (gpt2, llama-bpe, qwen2, bloom, ...)
# splits finer: "A" ":" and " born" "?" where our BPE merged "A:" and " born?", so ids differ.
# "gemma4" splits only at newlines and runs BPE over the rest, on raw UTF-8 with spaces written
# as U+2581: no merge in our vocabulary crosses one of our own splits (each token was learned
# inside one chunk), so BPE over the coarser chunk gives our ids. The vocabulary is written in
# that form (byte-level symbols decoded to bytes, " " as U+2581, lone bytes >= 0x80 as <0xXX>
# byte tokens). test/integration/llamacppEngine.test.ts compares ids on the known-fact set.
PRE_TOKENIZER = "gemma4"
TOKEN_BYTE = 6
SPACE = "\u2581"


# ---------------------------------------------------------------------------------------------
# The GGUF container
# ---------------------------------------------------------------------------------------------

def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def _value(vtype, v):
    if vtype == T_UINT32:
        return struct.pack("<I", v)
    if vtype == T_INT32:
        return struct.pack("<i", v)
    if vtype == T_FLOAT32:
        return struct.pack("<f", v)
    if vtype == T_BOOL:
        return struct.pack("<?", v)
    if vtype == T_STRING:
        return _str(v)
    raise ValueError(f"unsupported GGUF value type {vtype}")


def _kv(key, vtype, v, elem_type=None):
    out = _str(key) + struct.pack("<I", vtype)
    if vtype == T_ARRAY:
        out += struct.pack("<IQ", elem_type, len(v))
        out += b"".join(_value(elem_type, x) for x in v)
    else:
        out += _value(vtype, v)
    return out


def write_gguf(path, kvs, tensors):
    """kvs: [(key, type, value[, elem_type])]; tensors: [(name, float32 ndarray)] in numpy (row-major) shape."""
    infos = []
    offset = 0
    for name, arr in tensors:
        assert arr.dtype == np.float32, name
        dims = list(reversed(arr.shape))  # ggml's ne[0] is the innermost (contiguous) dimension
        infos.append(_str(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
                     + struct.pack("<IQ", GGML_TYPE_F32, offset))
        offset += -(-arr.nbytes // ALIGNMENT) * ALIGNMENT
    tmp = path + ".part"
    with open(tmp, "wb") as f:
        f.write(GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(tensors), len(kvs)))
        for kv in kvs:
            f.write(_kv(*kv))
        for info in infos:
            f.write(info)
        f.write(b"\0" * (-f.tell() % ALIGNMENT))
        for _, arr in tensors:
            f.write(np.ascontiguousarray(arr).tobytes())
            f.write(b"\0" * (-arr.nbytes % ALIGNMENT))
    os.replace(tmp, path)  # a crash never leaves a half-written file under the final name


# ---------------------------------------------------------------------------------------------
# Weights from the ONNX export
# ---------------------------------------------------------------------------------------------

ROLES = ("q", "k", "v", "o", "gate", "up", "down")
GGUF_ROLE = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
             "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}


def permute_rotary(w, n_head):
    """HF rotate-half rows -> llama.cpp adjacent pairs (convert_hf_to_gguf.py LlamaModel.permute)."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def initializers(graph):
    """Initializers by name, with the names Identity nodes give them: the exporter stores equal
    tensors once (the bench model's norms are all ones) and re-names the copies with Identity."""
    inits = {i.name: i for i in graph.initializer}
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    return inits


def projection_weights(graph, config):
    """{(layer, role): torch-layout [out, in] weight} from the graph's MatMuls, checked by shape."""
    inits = initializers(graph)
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    h, ff = config["hidden_size"], config["intermediate_size"]
    hd = config.get("head_dim") or h // config["num_attention_heads"]
    q_out, kv_out = config["num_attention_heads"] * hd, config["num_key_value_heads"] * hd
    shapes = {"q": (h, q_out), "k": (h, kv_out), "v": (h, kv_out), "o": (q_out, h),
              "gate": (h, ff), "up": (h, ff), "down": (ff, h)}
    matmuls = [n for n in graph.node if n.op_type == "MatMul" and n.input[1] in inits]
    n_layers = config["num_hidden_layers"]
    if len(matmuls) != len(ROLES) * n_layers:
        raise SystemExit(f"expected {len(ROLES) * n_layers} weight MatMuls (7 per layer), found {len(matmuls)}: "
                         "not a fp32 export of tools/model/model.py")
    out = {}
    for i, node in enumerate(matmuls):
        layer, role = divmod(i, len(ROLES))
        role = ROLES[role]
        w = numpy_helper.to_array(inits[node.input[1]])
        if w.shape != shapes[role]:
            raise SystemExit(f"layer {layer} {role}: weight {node.input[1]} has shape {w.shape}, expected {shapes[role]}")
        if role == "gate" and not any(c.op_type == "Sigmoid" for c in consumers.get(node.output[0], [])):
            raise SystemExit(f"layer {layer}: the gate projection {node.input[1]} does not feed a SiLU")
        out[(layer, role)] = np.ascontiguousarray(w.T.astype(np.float32))
    return out


def tensors_from_onnx(model_dir, config):
    graph = onnx.load(os.path.join(model_dir, "onnx", "model.onnx")).graph
    named = {name: numpy_helper.to_array(i).astype(np.float32) for name, i in initializers(graph).items()
             if not name.startswith("onnx::")}
    proj = projection_weights(graph, config)
    n_head, n_kv = config["num_attention_heads"], config["num_key_value_heads"]
    tensors = [("token_embd.weight", named["model.embed_tokens.weight"])]
    for i in range(config["num_hidden_layers"]):
        p = f"model.layers.{i}."
        tensors.append((f"blk.{i}.attn_norm.weight", named[p + "input_layernorm.weight"]))
        for role in ROLES:
            w = proj[(i, role)]
            if role == "q":
                w = permute_rotary(w, n_head)
            elif role == "k":
                w = permute_rotary(w, n_kv)
            tensors.append((f"blk.{i}.{GGUF_ROLE[role]}.weight", w))
        tensors.append((f"blk.{i}.ffn_norm.weight", named[p + "post_attention_layernorm.weight"]))
    tensors.append(("output_norm.weight", named["model.norm.weight"]))
    return tensors


# ---------------------------------------------------------------------------------------------
# Metadata: architecture and tokenizer
# ---------------------------------------------------------------------------------------------

def byte_decoder():
    """GPT-2's bytes_to_unicode, inverted: byte-level symbol -> byte."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


BYTE_DECODER = byte_decoder()


def spm_style(token):
    """A byte-level token as PRE_TOKENIZER's vocabulary spells it, and its llama_token_type."""
    raw = bytes(BYTE_DECODER[c] for c in token)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        if len(raw) == 1:
            return f"<0x{raw[0]:02X}>", TOKEN_BYTE  # llama.cpp's byte fallback names
        raise SystemExit(f"token {token!r} is a partial UTF-8 sequence; llama.cpp's {PRE_TOKENIZER} tokenizer cannot produce it")
    return text.replace(" ", SPACE), TOKEN_NORMAL


def metadata(model_dir, name, config):
    tok = json.load(open(os.path.join(model_dir, "tokenizer.json"), encoding="utf-8"))
    tcfg = json.load(open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    added = {t["id"]: t for t in tok.get("added_tokens", [])}
    n_vocab = config["vocab_size"]
    tokens = [None] * n_vocab
    types = [TOKEN_NORMAL] * n_vocab
    for text, i in vocab.items():
        tokens[i], types[i] = spm_style(text)
    for i, t in added.items():
        tokens[i] = t["content"]
        types[i] = TOKEN_CONTROL if t.get("special") else TOKEN_NORMAL
    if any(t is None for t in tokens):
        raise SystemExit(f"tokenizer.json leaves ids without a token (vocab_size {n_vocab})")
    merges = [m.split(" ") if isinstance(m, str) else m for m in tok["model"]["merges"]]
    merges = [" ".join(spm_style(part)[0] for part in m) for m in merges]
    hd = config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]
    eos = config["eos_token_id"]
    eos = eos[0] if isinstance(eos, list) else eos
    a = "llama"
    return [
        ("general.architecture", T_STRING, a),
        ("general.name", T_STRING, name),
        ("general.file_type", T_UINT32, 0),  # LLAMA_FTYPE_ALL_F32
        (f"{a}.vocab_size", T_UINT32, n_vocab),
        (f"{a}.context_length", T_UINT32, config["max_position_embeddings"]),
        (f"{a}.embedding_length", T_UINT32, config["hidden_size"]),
        (f"{a}.block_count", T_UINT32, config["num_hidden_layers"]),
        (f"{a}.feed_forward_length", T_UINT32, config["intermediate_size"]),
        (f"{a}.attention.head_count", T_UINT32, config["num_attention_heads"]),
        (f"{a}.attention.head_count_kv", T_UINT32, config["num_key_value_heads"]),
        (f"{a}.attention.key_length", T_UINT32, hd),
        (f"{a}.attention.value_length", T_UINT32, hd),
        (f"{a}.rope.dimension_count", T_UINT32, hd),
        (f"{a}.rope.freq_base", T_FLOAT32, float(config.get("rope_theta", 10000.0))),
        (f"{a}.attention.layer_norm_rms_epsilon", T_FLOAT32, float(config["rms_norm_eps"])),
        ("tokenizer.ggml.model", T_STRING, "gpt2"),
        ("tokenizer.ggml.pre", T_STRING, PRE_TOKENIZER),
        ("tokenizer.ggml.tokens", T_ARRAY, tokens, T_STRING),
        ("tokenizer.ggml.token_type", T_ARRAY, types, T_INT32),
        ("tokenizer.ggml.merges", T_ARRAY, merges, T_STRING),
        ("tokenizer.ggml.bos_token_id", T_UINT32, config["bos_token_id"]),
        ("tokenizer.ggml.eos_token_id", T_UINT32, eos),
        ("tokenizer.ggml.padding_token_id", T_UINT32, config.get("pad_token_id", eos)),
        ("tokenizer.ggml.add_bos_token", T_BOOL, bool(tcfg.get("add_bos_token", True))),
        ("tokenizer.ggml.add_eos_token", T_BOOL, bool(tcfg.get("add_eos_token", False))),
    ]


# ---------------------------------------------------------------------------------------------
# Quantization through llama.cpp's own llama_model_quantize
# ---------------------------------------------------------------------------------------------

class QuantizeParams(ctypes.Structure):
    # include/llama.h, llama_model_quantize_params, at the llama.cpp release node-llama-cpp 3.21.1
    # builds (node_modules/node-llama-cpp/llama/llama.cpp.info.json). Filled by the library's own
    # llama_model_quantize_default_params, so only ftype and nthread are ours.
    _fields_ = [("nthread", ctypes.c_int32), ("ftype", ctypes.c_int), ("output_tensor_type", ctypes.c_int),
                ("token_embedding_type", ctypes.c_int), ("allow_requantize", ctypes.c_bool),
                ("quantize_output_tensor", ctypes.c_bool), ("only_copy", ctypes.c_bool), ("pure", ctypes.c_bool),
                ("keep_split", ctypes.c_bool), ("dry_run", ctypes.c_bool), ("imatrix", ctypes.c_void_p),
                ("kv_overrides", ctypes.c_void_p), ("tt_overrides", ctypes.c_void_p),
                ("prune_layers", ctypes.c_void_p), ("max_buf_size", ctypes.c_size_t)]


def find_libllama():
    """libllama of node-llama-cpp's prebuilt CPU package for this platform."""
    system = {"Linux": "linux", "Darwin": "mac", "Windows": "win"}.get(platform.system(), platform.system().lower())
    arch = {"x86_64": "x64", "AMD64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    pattern = "llama.dll" if system == "win" else ("libllama*.dylib" if system == "mac" else "libllama.*so*")
    base = os.path.join(REPO, "node_modules", "@node-llama-cpp")
    found = sorted(glob.glob(os.path.join(base, f"{system}-{arch}*", "bins", "*", pattern)))
    plain = [p for p in found if f"{os.sep}{system}-{arch}{os.sep}" in p]
    if not (plain or found):
        raise SystemExit(f"no libllama under {base}/{system}-{arch}: run npm ci (node-llama-cpp's prebuilt binaries)")
    return (plain or found)[0]


def quantize(src, dst, type_name, threads=1):
    lib = ctypes.CDLL(find_libllama())
    lib.llama_backend_init.restype = None
    lib.llama_backend_init()
    lib.llama_model_quantize_default_params.restype = QuantizeParams
    params = lib.llama_model_quantize_default_params()
    params.ftype = FTYPES[type_name]
    params.nthread = threads
    lib.llama_model_quantize.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(QuantizeParams)]
    lib.llama_model_quantize.restype = ctypes.c_uint32
    tmp = dst + ".part"
    rc = lib.llama_model_quantize(src.encode(), tmp.encode(), ctypes.byref(params))
    if rc != 0:
        raise SystemExit(f"llama_model_quantize({type_name}) failed with {rc}")
    os.replace(tmp, dst)


def convert(model_dir, out_dir, types=("F32", "Q8_0", "Q4_0")):
    config = json.load(open(os.path.join(model_dir, "config.json"), encoding="utf-8"))
    if config.get("model_type") != "llama":
        raise SystemExit(f"{model_dir}: model_type {config.get('model_type')!r}, only llama-type exports convert")
    name = os.path.basename(os.path.normpath(model_dir))
    os.makedirs(out_dir, exist_ok=True)
    f32 = os.path.join(out_dir, f"{name}-F32.gguf")
    write_gguf(f32, metadata(model_dir, name, config), tensors_from_onnx(model_dir, config))
    paths = [f32] if "F32" in types else []
    for t in types:
        if t == "F32":
            continue
        if t not in FTYPES:
            raise SystemExit(f"unknown type {t}: F32, Q8_0 or Q4_0")
        dst = os.path.join(out_dir, f"{name}-{t}.gguf")
        quantize(f32, dst, t)
        paths.append(dst)
    if "F32" not in types:
        os.remove(f32)
    return paths


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    for p in convert(argv[0], argv[1], tuple(argv[2:]) or ("F32", "Q8_0", "Q4_0")):
        print(p)


if __name__ == "__main__":
    main(sys.argv[1:])
