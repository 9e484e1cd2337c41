#!/usr/bin/python3
"""Writes a tiny random-weight llama model as GGUF (F32 and Q8_0) and a numpy reference forward pass.

Run with Debian's interpreter (needs python3-numpy):
    /usr/bin/python3 scripts/models/make-tiny-llama.py test/fixtures/models
    /usr/bin/python3 scripts/models/make-tiny-llama.py --shape qwen05 CACHE_DIR   (benchmarks only)

Output: OUT/tiny-llama/tiny-llama-f32.gguf, OUT/tiny-llama-q8/tiny-llama-q8_0.gguf and
OUT/tiny-llama.reference.json. Deterministic (fixed seed): running it again gives the same bytes.

The GGUF writer is llama.cpp's own gguf-py, and the tokenizer is llama.cpp's vocab-only
`ggml-vocab-llama-spm.gguf` (the Llama 1/2 SentencePiece vocabulary), both taken from the llama.cpp
source that node-llama-cpp ships as a git bundle (nothing is downloaded). The vocabulary is cut to
its first VOCAB pieces so the committed files stay small: SentencePiece tokenizing in llama.cpp
merges only into pieces that exist and falls back to the byte tokens (<0x00>..<0xFF>, ids 3..258),
so a cut vocabulary still tokenizes any text.

The reference is an independent implementation of the llama architecture in numpy (float64):
RMSNorm, rotary position embedding on adjacent pairs (llama.cpp's "normal" rope for the llama
architecture), causal grouped-query attention, SwiGLU feed-forward, tied-free output projection.
It gives the logits of every position of a fixed prompt and the greedy continuation.
"""

import json
import os
import subprocess
import sys
import tempfile

import numpy as np

SEED = 20261129
VOCAB = 1024
EMBD = 64
LAYERS = 2
HEADS = 4
HEADS_KV = 2  # grouped-query attention, as in current models
FFN = 128  # a multiple of 32: Q8_0 quantises rows in blocks of 32
CONTEXT = 256
EPS = 1e-5
ROPE_BASE = 10000.0
GREEDY_STEPS = 12
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + '\\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)
PROMPT_WORDS = ["▁The", "▁code", "▁will", "▁return", "▁the", "▁new", "▁value"]

REPO = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUNDLE = os.path.join(REPO, "node_modules", "node-llama-cpp", "llama", "gitRelease.bundle")


def llama_source(tmp: str) -> str:
    """A checkout of the llama.cpp source node-llama-cpp ships (gguf-py and the vocab files).

    LLAMA_CPP_SOURCE: a folder already holding gguf-py/ and models/ (scripts/device/llm-gpu.sh
    carries those two to a machine without node_modules)."""
    if os.environ.get("LLAMA_CPP_SOURCE"):
        return os.environ["LLAMA_CPP_SOURCE"]
    src = os.path.join(tmp, "llama.cpp")
    subprocess.run(["git", "clone", "-q", BUNDLE, src], check=True, stderr=subprocess.DEVNULL)
    return src


def rms_norm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def rope(x, positions):
    """x: (tokens, heads, head_dim). Rotates the pairs (x[2i], x[2i+1]) by pos * base^(-2i/d)."""
    d = x.shape[-1]
    inv = ROPE_BASE ** (-np.arange(0, d, 2, dtype=np.float64) / d)
    ang = positions[:, None] * inv[None, :]  # (tokens, d/2)
    cos, sin = np.cos(ang)[:, None, :], np.sin(ang)[:, None, :]
    a, b = x[..., 0::2], x[..., 1::2]
    out = np.empty_like(x)
    out[..., 0::2] = a * cos - b * sin
    out[..., 1::2] = a * sin + b * cos
    return out


def forward(w, tokens):
    """Logits (tokens, VOCAB) of a whole sequence, computed from scratch in float64."""
    hd = EMBD // HEADS
    n = len(tokens)
    pos = np.arange(n, dtype=np.float64)
    x = w["token_embd.weight"][tokens].astype(np.float64)
    mask = np.triu(np.full((n, n), -np.inf), 1)
    for i in range(LAYERS):
        p = f"blk.{i}."
        h = rms_norm(x, w[p + "attn_norm.weight"])
        q = (h @ w[p + "attn_q.weight"].T).reshape(n, HEADS, hd)
        k = (h @ w[p + "attn_k.weight"].T).reshape(n, HEADS_KV, hd)
        v = (h @ w[p + "attn_v.weight"].T).reshape(n, HEADS_KV, hd)
        q, k = rope(q, pos), rope(k, pos)
        out = np.empty((n, HEADS, hd))
        for hh in range(HEADS):
            kv = hh // (HEADS // HEADS_KV)
            s = q[:, hh, :] @ k[:, kv, :].T / np.sqrt(hd) + mask
            s = np.exp(s - s.max(axis=-1, keepdims=True))
            s /= s.sum(axis=-1, keepdims=True)
            out[:, hh, :] = s @ v[:, kv, :]
        x = x + out.reshape(n, EMBD) @ w[p + "attn_output.weight"].T
        h = rms_norm(x, w[p + "ffn_norm.weight"])
        g = h @ w[p + "ffn_gate.weight"].T
        u = h @ w[p + "ffn_up.weight"].T
        x = x + ((g / (1 + np.exp(-g))) * u) @ w[p + "ffn_down.weight"].T
    return rms_norm(x, w["output_norm.weight"]) @ w["output.weight"].T


def make_weights():
    rng = np.random.default_rng(SEED)
    hd = EMBD // HEADS

    def mat(rows, cols, scale=1.0):
        return (rng.standard_normal((rows, cols)) * scale / np.sqrt(cols)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    w = {"token_embd.weight": rng.standard_normal((VOCAB, EMBD)).astype(np.float32)}
    for i in range(LAYERS):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = norm(EMBD)
        w[p + "attn_q.weight"] = mat(EMBD, EMBD, 2.0)
        w[p + "attn_k.weight"] = mat(HEADS_KV * hd, EMBD, 2.0)
        w[p + "attn_v.weight"] = mat(HEADS_KV * hd, EMBD)
        w[p + "attn_output.weight"] = mat(EMBD, EMBD)
        w[p + "ffn_norm.weight"] = norm(EMBD)
        w[p + "ffn_gate.weight"] = mat(FFN, EMBD)
        w[p + "ffn_up.weight"] = mat(FFN, EMBD)
        w[p + "ffn_down.weight"] = mat(EMBD, FFN)
    w["output_norm.weight"] = norm(EMBD)
    # Larger than 1/sqrt(n) so that the logits are well apart and greedy decoding is not a coin toss.
    w["output.weight"] = mat(VOCAB, EMBD, 3.0)
    return w


def write_gguf(gguf, path, name, w, vocab, quant, cfg=None):
    c = cfg or {"context": CONTEXT, "embd": EMBD, "layers": LAYERS, "ffn": FFN, "heads": HEADS,
                "heads_kv": HEADS_KV, "vocab": VOCAB}
    ftype = gguf.LlamaFileType.MOSTLY_Q8_0 if quant else gguf.LlamaFileType.ALL_F32
    wr = gguf.GGUFWriter(path, "llama")
    wr.add_name(name)
    wr.add_context_length(c["context"])
    wr.add_embedding_length(c["embd"])
    wr.add_block_count(c["layers"])
    wr.add_feed_forward_length(c["ffn"])
    wr.add_head_count(c["heads"])
    wr.add_head_count_kv(c["heads_kv"])
    wr.add_layer_norm_rms_eps(EPS)
    wr.add_rope_dimension_count(c["embd"] // c["heads"])
    wr.add_rope_freq_base(ROPE_BASE)
    wr.add_vocab_size(c["vocab"])
    wr.add_file_type(ftype)
    wr.add_tokenizer_model("llama")
    wr.add_tokenizer_pre("default")
    wr.add_token_list(vocab["tokens"])
    wr.add_token_scores(vocab["scores"])
    wr.add_token_types(vocab["types"])
    wr.add_bos_token_id(vocab["bos"])
    wr.add_eos_token_id(vocab["eos"])
    wr.add_unk_token_id(vocab["unk"])
    wr.add_add_bos_token(True)
    wr.add_add_eos_token(False)
    wr.add_chat_template(CHAT_TEMPLATE)
    for k, t in w.items():
        if isinstance(t, tuple):  # already quantised (the large shapes quantise as they go)
            wr.add_tensor(k, t[0], raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        elif quant and t.ndim == 2:
            wr.add_tensor(k, gguf.quantize(t, gguf.GGMLQuantizationType.Q8_0),
                          raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            wr.add_tensor(k, t)
    wr.write_header_to_file()
    wr.write_kv_data_to_file()
    wr.write_tensors_to_file()
    wr.close()


def read_vocab(gguf, path, n=VOCAB):
    r = gguf.GGUFReader(path)

    def val(key):
        return r.fields[key].contents()

    tokens = val("tokenizer.ggml.tokens")[:n]
    return {
        "tokens": tokens,
        "scores": [float(s) for s in val("tokenizer.ggml.scores")[:n]],
        "types": [int(t) for t in val("tokenizer.ggml.token_type")[:n]],
        "bos": int(val("tokenizer.ggml.bos_token_id")),
        "eos": int(val("tokenizer.ggml.eos_token_id")),
        "unk": int(val("tokenizer.ggml.unknown_token_id")),
    }


# Shapes of real models, for benchmarks of real compute cost (random weights, Q8_0, no reference).
# Qwen2.5-0.5B: 24 layers, 896 dimensions, 14 heads with 2 KV heads, FFN 4864 (its vocabulary of
# 151,936 is replaced by the 32,000 SentencePiece pieces, which only makes the output layer smaller).
SHAPES = {"qwen05": {"context": 4096, "embd": 896, "layers": 24, "ffn": 4864, "heads": 14, "heads_kv": 2,
                     "vocab": 32000}}


def write_shaped(gguf, src, out, shape):
    c = SHAPES[shape]
    vocab = read_vocab(gguf, os.path.join(src, "models", "ggml-vocab-llama-spm.gguf"), c["vocab"])
    rng = np.random.default_rng(SEED)
    hd = c["embd"] // c["heads"]
    q8 = gguf.GGMLQuantizationType.Q8_0

    def mat(rows, cols, scale=1.0):
        t = (rng.standard_normal((rows, cols), dtype=np.float32) * (scale / np.sqrt(cols))).astype(np.float32)
        return (gguf.quantize(t, q8), (cols, rows))

    def norm(n):
        return np.ones(n, dtype=np.float32)

    e, f = c["embd"], c["ffn"]
    w = {"token_embd.weight": mat(c["vocab"], e, np.sqrt(e))}
    for i in range(c["layers"]):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = norm(e)
        w[p + "attn_q.weight"] = mat(e, e)
        w[p + "attn_k.weight"] = mat(c["heads_kv"] * hd, e)
        w[p + "attn_v.weight"] = mat(c["heads_kv"] * hd, e)
        w[p + "attn_output.weight"] = mat(e, e)
        w[p + "ffn_norm.weight"] = norm(e)
        w[p + "ffn_gate.weight"] = mat(f, e)
        w[p + "ffn_up.weight"] = mat(f, e)
        w[p + "ffn_down.weight"] = mat(e, f)
    w["output_norm.weight"] = norm(e)
    w["output.weight"] = mat(c["vocab"], e, 3.0)
    path = os.path.join(out, f"{shape}-shaped", f"{shape}-shaped-q8_0.gguf")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_gguf(gguf, path, f"{shape}-shaped", w, vocab, quant=True, cfg=c)
    print(f"{path}: {os.path.getsize(path)} bytes")


def main():
    args = sys.argv[1:]
    shape = None
    if len(args) >= 2 and args[0] == "--shape":
        shape, args = args[1], args[2:]
    out = os.path.abspath(args[0] if args else os.path.join(REPO, "test/fixtures/models"))
    if shape:
        with tempfile.TemporaryDirectory() as tmp:
            src = llama_source(tmp)
            sys.path.insert(0, os.path.join(src, "gguf-py"))
            import gguf  # noqa: E402

            write_shaped(gguf, src, out, shape)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = llama_source(tmp)
        sys.path.insert(0, os.path.join(src, "gguf-py"))
        import gguf  # noqa: E402  (llama.cpp's own writer, from the bundle)

        vocab = read_vocab(gguf, os.path.join(src, "models", "ggml-vocab-llama-spm.gguf"))
        w = make_weights()
        f32 = os.path.join(out, "tiny-llama", "tiny-llama-f32.gguf")
        q8 = os.path.join(out, "tiny-llama-q8", "tiny-llama-q8_0.gguf")
        for p in (f32, q8):
            os.makedirs(os.path.dirname(p), exist_ok=True)
        write_gguf(gguf, f32, "tiny-llama", w, vocab, quant=False)
        write_gguf(gguf, q8, "tiny-llama-q8", w, vocab, quant=True)

    ref_w = {k: v.astype(np.float64) for k, v in w.items()}
    prompt = [vocab["bos"]] + [vocab["tokens"].index(p) for p in PROMPT_WORDS]
    logits = forward(ref_w, prompt)
    seq = list(prompt)
    for _ in range(GREEDY_STEPS):
        seq.append(int(np.argmax(forward(ref_w, seq)[-1])))
    text = "".join(PROMPT_WORDS).replace("▁", " ").lstrip(" ")
    ref = {
        "made_by": f"scripts/models/make-tiny-llama.py with numpy {np.__version__}",
        "vocab_size": VOCAB,
        "context_length": CONTEXT,
        "prompt_text": text,
        "prompt_tokens": prompt,
        "logits": [[round(float(x), 6) for x in row] for row in logits],
        "greedy_tokens": seq[len(prompt):],
        "greedy_pieces": [vocab["tokens"][t] for t in seq[len(prompt):]],
    }
    with open(os.path.join(out, "tiny-llama.reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")
    print(f"{f32}: {os.path.getsize(f32)} bytes; {q8}: {os.path.getsize(q8)} bytes")
    print(f"prompt {text!r} -> greedy {ref['greedy_pieces']}")


if __name__ == "__main__":
    main()
