"""Quantize an fp32 decoder export into the files transformers.js loads as dtype q8 and q4.

q8 (onnx/model_quantized.onnx, as transformers.js's quantized exports): every weight MatMul
becomes DynamicQuantizeLinear on the activations, MatMulInteger with uint8 weights (zero point
128, one scale per output column), then a float rescale. Weights are uint8 rather than int8
because onnxruntime's x86 kernels for uint8 x int8 can saturate on CPUs without VNNI.

q4 (onnx/model_q4.onnx, as model_q4.onnx exports): every weight MatMul becomes com.microsoft
MatMulNBits, 4 bits, block 32 along K, one scale and zero point per block (asymmetric, the range
widened to include 0 as onnxruntime's own quantizer does).

Tied embeddings stay stored once. The export's output head is a Transpose of the embedding
initializer (export.py untie_duplicate_head); the quantized embedding feeds both the input
Gather (rows dequantized in the graph, only for the gathered tokens) and the output head:
q8 stores it [vocab, hidden] with one scale per row, which is a per-column scale of its
transpose; q4 stores it blocked along hidden, which is exactly MatMulNBits's [N, K] layout.
Everything else (norms, attention, rotary) stays fp32.

Only the Python `onnx` package and numpy are needed (Debian python3-onnx); onnxruntime's
Python quantizer is not available here.

Usage: /usr/bin/python3 tools/model/quantize.py MODEL_DIR [q8] [q4]   (default: both)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SUFFIX = {"q8": "_quantized", "q4": "_q4"}
BLOCK = 32


class Graph:
    """The graph being rewritten: fresh names, initializers and nodes to add."""

    def __init__(self, model):
        self.model = model
        self.g = model.graph
        self.inits = {i.name: i for i in self.g.initializer}
        self.counter = 0
        self.consumers = {}
        for node in self.g.node:
            for name in node.input:
                self.consumers.setdefault(name, []).append(node)
        self.producer = {o: n for n in self.g.node for o in n.output}

    def name(self, base):
        self.counter += 1
        return f"{base}_{self.counter}"

    def const(self, base, array):
        name = self.name(base)
        self.g.initializer.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(self, op, inputs, base, n_out=1, domain=None, **attrs):
        outs = [self.name(f"{base}/{op}_out") for _ in range(n_out)]
        node = helper.make_node(op, inputs, outs, name=self.name(f"{base}/{op}"), domain=domain, **attrs)
        return node, outs

    def drop_initializer(self, name):
        self.g.initializer.remove(self.inits.pop(name))


def weight_matmuls(graph):
    """(node, weight name, transposed-from) for each MatMul whose B is a 2-D weight.

    transposed-from is the embedding initializer when B is the tied head's Transpose of it.
    """
    out = []
    for node in graph.g.node:
        if node.op_type != "MatMul":
            continue
        b = node.input[1]
        if b in graph.inits and len(graph.inits[b].dims) == 2:
            out.append((node, b, None))
            continue
        prod = graph.producer.get(b)
        if (prod is not None and prod.op_type == "Transpose" and prod.input[0] in graph.inits
                and len(graph.inits[prod.input[0]].dims) == 2
                and [a.ints for a in prod.attribute if a.name == "perm"] in ([[1, 0]], [])):
            out.append((node, b, prod.input[0]))
    return out


def tied_embedding(graph, matmuls):
    """The embedding initializer the output head shares, and the head's Transpose node."""
    for _, b, source in matmuls:
        if source is not None:
            gathers = [n for n in graph.consumers.get(source, []) if n.op_type == "Gather"]
            if len(gathers) != 1 or len(graph.consumers[source]) != 2:
                raise SystemExit(f"tied embedding {source}: expected one Gather and the head's Transpose")
            return source, graph.producer[b], gathers[0]
    return None, None, None


# ---- q8 -------------------------------------------------------------------

def q8_columns(w):
    """uint8 weights (zero point 128) with one scale per column of w [K, N]."""
    scale = np.abs(w).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(w / scale), -127, 127).astype(np.int32) + 128
    return q.astype(np.uint8), scale.astype(np.float32)


def quantize_q8(model):
    graph = Graph(model)
    matmuls = weight_matmuls(graph)
    emb_name, head_transpose, gather = tied_embedding(graph, matmuls)
    new_nodes = []
    zp128 = graph.const("q8/zero_point", np.array(128, dtype=np.uint8))
    quantized_a = {}  # one DynamicQuantizeLinear per activation (q, k, v share theirs)
    emb = None
    if emb_name is not None:
        e = numpy_helper.to_array(graph.inits[emb_name])
        # One scale per row of E = per column of its transpose, the head's B.
        eq, escale = q8_columns(e.T)
        emb = {"q": graph.const(f"{emb_name}_quantized", eq.T.copy()),
               "scale": graph.const(f"{emb_name}_scale", escale)}
        new_nodes += q8_gather(graph, gather, emb)
        t, tout = graph.node("Transpose", [emb["q"]], "lm_head", perm=[1, 0])
        new_nodes.append(t)
        emb["qT"] = tout[0]

    for node, b, source in matmuls:
        a = node.input[0]
        if a not in quantized_a:
            dq, (aq, ascale, azp) = graph.node("DynamicQuantizeLinear", [a], node.name, n_out=3)
            new_nodes.append(dq)
            quantized_a[a] = (aq, ascale, azp)
        aq, ascale, azp = quantized_a[a]
        if source is None:
            wq, wscale = q8_columns(numpy_helper.to_array(graph.inits[b]))
            bq, bscale = graph.const(f"{b}_quantized", wq), graph.const(f"{b}_scale", wscale)
            graph.drop_initializer(b)
        else:
            bq, bscale = emb["qT"], emb["scale"]
        mm, (yint,) = graph.node("MatMulInteger", [aq, bq, azp, zp128], node.name)
        cast, (yf,) = graph.node("Cast", [yint], node.name, to=TensorProto.FLOAT)
        sc, (s,) = graph.node("Mul", [ascale, bscale], node.name)
        out = helper.make_node("Mul", [yf, s], [node.output[0]], name=graph.name(f"{node.name}/rescale"))
        new_nodes += [mm, cast, sc, out]
        graph.g.node.remove(node)

    finish(graph, new_nodes, (emb_name, head_transpose, gather))


def q8_gather(graph, gather, emb):
    """The input embedding from uint8 rows: (row - 128) * row scale, for the gathered ids only."""
    ids = gather.input[1]
    base = gather.name or "embed"
    gq, (rows,) = graph.node("Gather", [emb["q"], ids], base, axis=0)
    cast, (rowsf,) = graph.node("Cast", [rows], base, to=TensorProto.FLOAT)
    sub, (centered,) = graph.node("Sub", [rowsf, graph.const("q8/128", np.array(128, dtype=np.float32))], base)
    gs, (scales,) = graph.node("Gather", [emb["scale"], ids], base, axis=0)
    unsq, (scales1,) = graph.node("Unsqueeze", [scales, graph.const("axes", np.array([-1], dtype=np.int64))], base)
    out = helper.make_node("Mul", [centered, scales1], [gather.output[0]], name=graph.name(f"{base}/dequantize"))
    return [gq, cast, sub, gs, unsq, out]


# ---- q4 -------------------------------------------------------------------

def q4_blocks(wt):
    """MatMulNBits inputs for wt [N, K]: packed nibbles [N, blocks, 16], scales [N, blocks], packed zero points."""
    n, k = wt.shape
    blocks = -(-k // BLOCK)
    padded = np.zeros((n, blocks * BLOCK), dtype=np.float32)
    padded[:, :k] = wt
    x = padded.reshape(n, blocks, BLOCK)
    lo = np.minimum(x.min(axis=2), 0.0)
    hi = np.maximum(x.max(axis=2), 0.0)
    scale = (hi - lo) / 15.0
    scale[scale == 0] = 1.0
    zp = np.clip(np.rint(-lo / scale), 0, 15).astype(np.uint8)
    q = np.clip(np.rint(x / scale[..., None]) + zp[..., None], 0, 15).astype(np.uint8)
    packed = (q[..., 0::2] | (q[..., 1::2] << 4)).astype(np.uint8)
    zp_padded = np.zeros((n, blocks + blocks % 2), dtype=np.uint8)
    zp_padded[:, :blocks] = zp
    zp_packed = (zp_padded[:, 0::2] | (zp_padded[:, 1::2] << 4)).astype(np.uint8)
    return packed, scale.astype(np.float32), zp_packed


def quantize_q4(model, accuracy_level=4):
    graph = Graph(model)
    matmuls = weight_matmuls(graph)
    emb_name, head_transpose, gather = tied_embedding(graph, matmuls)
    new_nodes = []
    emb = None
    if emb_name is not None:
        e = numpy_helper.to_array(graph.inits[emb_name])
        packed, scale, zp = q4_blocks(e)  # E is [vocab, hidden]: already the head's [N, K]
        emb = {"b": graph.const(f"{emb_name}_q4", packed), "scale": graph.const(f"{emb_name}_scales", scale),
               "zp": graph.const(f"{emb_name}_zero_points", zp), "k": e.shape[1], "n": e.shape[0]}
        new_nodes += q4_gather(graph, gather, emb, scale.shape[1])

    for node, b, source in matmuls:
        if source is None:
            w = numpy_helper.to_array(graph.inits[b])
            packed, scale, zp = q4_blocks(w.T)
            ins = [graph.const(f"{b}_q4", packed), graph.const(f"{b}_scales", scale), graph.const(f"{b}_zero_points", zp)]
            k, n = w.shape
            graph.drop_initializer(b)
        else:
            ins, k, n = [emb["b"], emb["scale"], emb["zp"]], emb["k"], emb["n"]
        mm = helper.make_node("MatMulNBits", [node.input[0]] + ins, [node.output[0]], name=graph.name(f"{node.name}/q4"),
                              domain="com.microsoft", K=k, N=n, bits=4, block_size=BLOCK, accuracy_level=accuracy_level)
        new_nodes.append(mm)
        graph.g.node.remove(node)

    finish(graph, new_nodes, (emb_name, head_transpose, gather))


def unpack_nibbles(graph, packed, base):
    """uint8 [..., M] -> float [..., M, 2] (low nibble, high nibble), with opset-17 ops only."""
    cast, (x,) = graph.node("Cast", [packed], base, to=TensorProto.FLOAT)
    div, (d,) = graph.node("Div", [x, graph.const("q4/16", np.array(16, dtype=np.float32))], base)
    floor, (hi,) = graph.node("Floor", [d], base)
    mul, (hi16,) = graph.node("Mul", [hi, graph.const("q4/16", np.array(16, dtype=np.float32))], base)
    sub, (lo,) = graph.node("Sub", [x, hi16], base)
    axes = graph.const("axes", np.array([-1], dtype=np.int64))
    u1, (lo1,) = graph.node("Unsqueeze", [lo, axes], base)
    u2, (hi1,) = graph.node("Unsqueeze", [hi, axes], base)
    cat, (pair,) = graph.node("Concat", [lo1, hi1], base, axis=-1)
    return [cast, div, floor, mul, sub, u1, u2, cat], pair


def q4_gather(graph, gather, emb, blocks):
    """The input embedding from 4-bit blocks: (q - zero point) * scale, for the gathered ids only."""
    ids = gather.input[1]
    base = gather.name or "embed"
    nodes = []
    g1, (rows,) = graph.node("Gather", [emb["b"], ids], base, axis=0)            # [b, s, blocks, 16]
    n1, pairs = unpack_nibbles(graph, rows, base)                                 # [b, s, blocks, 16, 2]
    r1, (q,) = graph.node("Reshape", [pairs, graph.const("shape", np.array([0, 0, blocks, BLOCK], dtype=np.int64))], base)
    g2, (zrows,) = graph.node("Gather", [emb["zp"], ids], base, axis=0)           # [b, s, ceil(blocks/2)]
    n2, zpairs = unpack_nibbles(graph, zrows, base)
    zlen = blocks + blocks % 2
    r2, (zall,) = graph.node("Reshape", [zpairs, graph.const("shape", np.array([0, 0, zlen], dtype=np.int64))], base)
    sl, (z,) = graph.node("Slice", [zall, graph.const("starts", np.array([0], dtype=np.int64)),
                                    graph.const("ends", np.array([blocks], dtype=np.int64)),
                                    graph.const("axes", np.array([2], dtype=np.int64))], base)
    axes = graph.const("axes", np.array([-1], dtype=np.int64))
    u1, (z1,) = graph.node("Unsqueeze", [z, axes], base)
    g3, (srows,) = graph.node("Gather", [emb["scale"], ids], base, axis=0)        # [b, s, blocks]
    u2, (s1,) = graph.node("Unsqueeze", [srows, axes], base)
    sub, (centered,) = graph.node("Sub", [q, z1], base)
    mul, (values,) = graph.node("Mul", [centered, s1], base)
    shape = graph.const("shape", np.array([0, 0, emb["k"]], dtype=np.int64))
    out = helper.make_node("Reshape", [values, shape], [gather.output[0]], name=graph.name(f"{base}/dequantize"))
    nodes += [g1] + n1 + [r1, g2] + n2 + [r2, sl, u1, g3, u2, sub, mul, out]
    return nodes


# ---- both -----------------------------------------------------------------

def finish(graph, new_nodes, tied):
    """Drop the fp32 tied embedding and its Gather and Transpose (replaced), add the new nodes,
    sort topologically, declare com.microsoft when used, check."""
    emb_name, head_transpose, gather = tied
    if emb_name is not None:
        graph.g.node.remove(head_transpose)
        graph.g.node.remove(gather)
        graph.drop_initializer(emb_name)
    nodes = list(graph.g.node) + new_nodes
    available = {i.name for i in graph.g.initializer} | {i.name for i in graph.g.input} | {""}
    ordered, pending = [], nodes
    while pending:
        rest = []
        for n in pending:
            if all(i in available for i in n.input):
                ordered.append(n)
                available.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise SystemExit(f"cannot order {len(rest)} nodes, e.g. {rest[0].name}")
        pending = rest
    del graph.g.node[:]
    graph.g.node.extend(ordered)
    # Shapes of rewritten tensors are recomputed by the runtime; stale entries would only mislead.
    del graph.g.value_info[:]
    if any(n.domain == "com.microsoft" for n in ordered) and not any(o.domain == "com.microsoft" for o in graph.model.opset_import):
        graph.model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.checker.check_model(graph.model)


def quantize_file(src, dtype):
    model = onnx.load(src)
    {"q8": quantize_q8, "q4": quantize_q4}[dtype](model)
    dst = os.path.join(os.path.dirname(src), f"model{SUFFIX[dtype]}.onnx")
    onnx.save(model, dst)
    return dst


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    folder, dtypes = argv[0], argv[1:] or ["q8", "q4"]
    src = os.path.join(folder, "onnx", "model.onnx")
    for dtype in dtypes:
        dst = quantize_file(src, dtype)
        print(f"wrote {dst} ({os.path.getsize(dst):,} bytes, {dtype})")


if __name__ == "__main__":
    main(sys.argv[1:])
