"""Byte-level BPE: pre-tokenizer, trainer and encoder (no `tokenizers` package here).

The encoder is the GPT-2 algorithm (repeatedly merge the lowest-ranked pair)
that transformers.js's BPE model also runs, so ids computed here for training
match what the app gets at inference; verify.mjs checks that on real documents.

Pre-tokenizer. GPT-2's regex splits punctuation from letters, so JSON tokens
such as `{"name": "` or `", "city": "` could never form. Using no split at all
has the opposite problem: merges such as "A: " or "A: S" would straddle the end
of a prompt ("...\nA:") and the start of its answer (" Saltmarsh."), and a
prompt would then tokenize differently from the same text in training. So the
text is cut only
  * around runs of newlines, and
  * before a space (or tab) that is followed by a letter or digit,
and nothing else. Words keep their leading space (" Saltmarsh."), punctuation
stays with letters, and `", "` inside JSON is one piece, so tokens can span it.
"""
import collections
import json

import regex

# Pieces = newline runs, or the shortest run of non-newlines up to the next cut.
# Written to mean the same in Python `regex`, Oniguruma (Rust tokenizers) and JS.
PRETOKENIZE_PATTERN = r"\n+|[^\n]+?(?=\n|[ \t][\p{L}\p{N}]|$)"
_PIECE_RE = regex.compile(PRETOKENIZE_PATTERN)


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters (space -> 'Ġ')."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) \
        + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def pretokenize(text):
    pieces = _PIECE_RE.findall(text)
    assert "".join(pieces) == text, "pre-tokenizer must cover the text"
    return ["".join(BYTE_ENCODER[b] for b in p.encode("utf-8")) for p in pieces]


def train(texts, n_merges):
    """Learn up to n_merges merges from an iterable of (text, count) pairs.

    Pair counts are updated incrementally: only words that contain the merged
    pair are touched, which keeps ~1,000 merges to seconds in pure Python.
    Ties break on the pair itself so the result is deterministic.
    """
    word_counts = collections.Counter()
    for text, count in texts:
        for piece in pretokenize(text):
            word_counts[piece] += count
    words = [list(w) for w in word_counts]
    freqs = list(word_counts.values())

    pair_counts = collections.Counter()
    where = collections.defaultdict(set)
    for i, w in enumerate(words):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += freqs[i]
            where[(a, b)].add(i)

    merges = []
    for _ in range(n_merges):
        if not pair_counts:
            break
        best, count = max(pair_counts.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 2:
            break
        merges.append(best)
        joined = best[0] + best[1]
        for i in sorted(where.pop(best, ())):
            w = words[i]
            for a, b in zip(w, w[1:]):  # forget this word's old pairs
                pair_counts[(a, b)] -= freqs[i]
                if pair_counts[(a, b)] <= 0:
                    del pair_counts[(a, b)]
            new, j = [], 0
            while j < len(w):
                if j + 1 < len(w) and w[j] == best[0] and w[j + 1] == best[1]:
                    new.append(joined)
                    j += 2
                else:
                    new.append(w[j])
                    j += 1
            words[i] = new
            for a, b in zip(new, new[1:]):  # and count its new ones
                pair_counts[(a, b)] += freqs[i]
                where[(a, b)].add(i)
    return merges


class Encoder:
    """Encode text to ids with a trained vocab + merges (GPT-2's bpe())."""

    def __init__(self, vocab, merges, special_tokens):
        self.vocab = vocab
        self.ranks = {tuple(m): r for r, m in enumerate(merges)}
        self.special = special_tokens  # {text: id}
        self.special_re = regex.compile("|".join(regex.escape(s) for s in special_tokens))
        self.inverse = {i: t for t, i in vocab.items()}
        self.cache = {}

    def bpe(self, piece):
        if piece in self.cache:
            return self.cache[piece]
        word = list(piece)
        while len(word) > 1:
            pairs = [(self.ranks.get(p, float("inf")), k) for k, p in enumerate(zip(word, word[1:]))]
            rank, k = min(pairs)
            if rank == float("inf"):
                break
            first, second = word[k], word[k + 1]
            new, j = [], 0
            while j < len(word):  # merge every occurrence, left to right
                if j + 1 < len(word) and word[j] == first and word[j + 1] == second:
                    new.append(first + second)
                    j += 2
                else:
                    new.append(word[j])
                    j += 1
            word = new
        ids = [self.vocab[t] for t in word]
        self.cache[piece] = ids
        return ids

    def encode(self, text):
        """Ids for text; special tokens written literally become their id."""
        ids, pos = [], 0
        for m in self.special_re.finditer(text):
            for piece in pretokenize(text[pos:m.start()]):
                ids.extend(self.bpe(piece))
            ids.append(self.special[m.group()])
            pos = m.end()
        for piece in pretokenize(text[pos:]):
            ids.extend(self.bpe(piece))
        return ids

    def decode(self, ids):
        out = bytearray()
        for i in ids:
            tok = self.inverse[i]
            if tok in self.special:
                out.extend(tok.encode("utf-8"))
            else:
                out.extend(BYTE_DECODER[c] for c in tok)
        return out.decode("utf-8", errors="replace")

    @classmethod
    def load(cls, path):
        """Load from our own tokenizer.json (the HF format we write)."""
        with open(path) as fh:
            tj = json.load(fh)
        special = {t["content"]: t["id"] for t in tj["added_tokens"]}
        return cls(tj["model"]["vocab"], tj["model"]["merges"], special)
