"""A small Llama-type decoder in plain PyTorch 1.13.

Same maths and weight layout as Hugging Face's LlamaForCausalLM (RMSNorm,
rotary embeddings with rotate-half, SwiGLU MLP, grouped-query attention, tied
embeddings), written out by hand so the ONNX graph stays small and the cache
inputs/outputs carry exactly the names transformers.js expects.
"""
import dataclasses

import torch
import torch.nn as nn
import torch.nn.functional as F

# Added to the scores of forbidden keys. Finite on purpose: a fully masked
# row (a left-padding query) must give a harmless uniform softmax, not NaN,
# because NaN in one position's hidden state would leak into its cached K/V.
MASK_VALUE = -1e9


@dataclasses.dataclass
class Config:
    vocab_size: int = 1400
    hidden_size: int = 192
    num_hidden_layers: int = 4
    num_attention_heads: int = 6
    num_key_value_heads: int = 2
    head_dim: int = 32
    intermediate_size: int = 512
    max_position_embeddings: int = 256
    rope_theta: float = 10000.0
    rms_norm_eps: float = 1e-5


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotary_cos_sin(position_ids, head_dim, theta):
    """cos/sin tables [B, 1, 1, S, head_dim] for the given positions (HF layout)."""
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
    freqs = position_ids.to(torch.float32)[..., None] * inv_freq
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos()[:, None, None], emb.sin()[:, None, None]


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Attention(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.kv_heads = c.num_key_value_heads
        self.group = c.num_attention_heads // c.num_key_value_heads
        self.head_dim = c.head_dim
        self.q_proj = nn.Linear(c.hidden_size, c.num_attention_heads * c.head_dim, bias=False)
        self.k_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.v_proj = nn.Linear(c.hidden_size, c.num_key_value_heads * c.head_dim, bias=False)
        self.o_proj = nn.Linear(c.num_attention_heads * c.head_dim, c.hidden_size, bias=False)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        b, s, _ = x.shape
        # Queries as [B, kv_heads, group, S, D]: query head h uses KV head
        # h // group (HF's repeat_kv). Broadcasting the matmul against K/V of
        # shape [B, kv_heads, 1, T, D] avoids materialising repeated K/V.
        q = self.q_proj(x).view(b, s, self.kv_heads, self.group, self.head_dim).permute(0, 2, 3, 1, 4)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos[:, 0] + rotate_half(k) * sin[:, 0]
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, k.unsqueeze(2).transpose(-1, -2)) * (self.head_dim ** -0.5)
        scores = torch.where(allowed, scores, torch.tensor(MASK_VALUE, dtype=scores.dtype))
        out = torch.matmul(scores.softmax(-1), v.unsqueeze(2))  # [B, kv, group, S, D]
        out = out.permute(0, 3, 1, 2, 4).reshape(b, s, -1)
        return self.o_proj(out), k, v


class MLP(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.gate_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.up_proj = nn.Linear(c.hidden_size, c.intermediate_size, bias=False)
        self.down_proj = nn.Linear(c.intermediate_size, c.hidden_size, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.input_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.mlp = MLP(c)

    def forward(self, x, cos, sin, allowed, past_k=None, past_v=None):
        h, k, v = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_k, past_v)
        x = x + h
        return x + self.mlp(self.post_attention_layernorm(x)), k, v


class FactsLM(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        self.config = c
        self.embed_tokens = nn.Embedding(c.vocab_size, c.hidden_size)
        self.layers = nn.ModuleList(Block(c) for _ in range(c.num_hidden_layers))
        self.norm = RMSNorm(c.hidden_size, c.rms_norm_eps)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)

    def forward(self, input_ids, position_ids, allowed, past=None):
        """Logits plus the new cache.

        allowed: bool [B, 1, 1, S, T], True where query s may attend to key t
        (T = past length + S). past: list of (k, v), each [B, kv_heads, P, D].
        """
        c = self.config
        cos, sin = rotary_cos_sin(position_ids, c.head_dim, c.rope_theta)
        x = self.embed_tokens(input_ids)
        present = []
        for i, layer in enumerate(self.layers):
            pk, pv = past[i] if past is not None else (None, None)
            x, k, v = layer(x, cos, sin, allowed, pk, pv)
            present.append((k, v))
        # Tied head: multiply by the transposed embedding, stored once.
        logits = torch.matmul(self.norm(x), self.embed_tokens.weight.t())
        return logits, present


def inference_mask(attention_mask, query_length):
    """allowed[B,1,1,S,T] from a [B, T] padding mask, causal over the last S keys.

    Query s sits at cache index T - S + s and may see keys up to that index
    that are not padding. Works for left padding and for any past length.
    """
    total = attention_mask.shape[1]
    key_idx = torch.arange(total)[None, :]
    query_idx = torch.arange(query_length)[:, None] + (total - query_length)
    causal = key_idx <= query_idx  # [S, T]
    return (causal[None] & attention_mask.bool()[:, None, :])[:, None, None]


def training_mask(doc_ids):
    """Block-diagonal causal mask: packed documents never see each other."""
    s = doc_ids.shape[1]
    causal = torch.ones(s, s, dtype=torch.bool).tril()
    same_doc = doc_ids[:, :, None] == doc_ids[:, None, :]
    return (same_doc & causal)[:, None, None]


def count_parameters(model):
    # Tied weights are one Parameter, so this counts the embedding once.
    return sum(p.numel() for p in model.parameters())


@torch.no_grad()
def greedy_generate(model, prompts_ids, eos_id, pad_id, max_new_tokens=24):
    """Batched greedy decoding with left padding and a KV cache.

    Mirrors what transformers.js does (positions = cumsum(mask) - 1), so the
    PyTorch accuracy printed during training predicts the shipped one.
    Returns the generated ids per prompt, cut before the first EOS.
    """
    b = len(prompts_ids)
    width = max(map(len, prompts_ids))
    ids = torch.full((b, width), pad_id, dtype=torch.long)
    mask = torch.zeros((b, width), dtype=torch.long)
    for i, p in enumerate(prompts_ids):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    out = [[] for _ in range(b)]
    done = torch.zeros(b, dtype=torch.bool)
    past = None
    step_ids = ids
    for _ in range(max_new_tokens):
        pos = (mask.cumsum(-1) - 1).clamp(min=0)[:, -step_ids.shape[1]:]
        logits, past = model(step_ids, pos, inference_mask(mask, step_ids.shape[1]), past)
        nxt = logits[:, -1].argmax(-1)
        for i in range(b):
            if not done[i]:
                if nxt[i].item() == eos_id:
                    done[i] = True
                else:
                    out[i].append(nxt[i].item())
        if done.all():
            break
        step_ids = nxt[:, None]
        mask = torch.cat([mask, torch.ones((b, 1), dtype=torch.long)], dim=1)
    return out
