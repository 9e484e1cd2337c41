#!/usr/bin/python3
"""Writes a tiny random BERT sentence-embedding model and torch reference vectors.

Run with Debian's interpreter (needs python3-torch and python3-onnx):
    /usr/bin/python3 scripts/models/make-tiny-bert.py test/fixtures/models

Output: OUT/tiny-bert/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx}
and OUT/tiny-bert.reference.json. The reference vectors come from this file's own torch BERT
and WordPiece tokenizer (no transformers library exists here), so the service's
transformers.js + onnxruntime path is checked against an independent implementation:
same tokens, same last_hidden_state, mean pooling over the attention mask, L2 normalisation.
"""

import json
import math
import os
import sys
import unicodedata

import onnx
import torch
from torch import nn

SEED = 1234
HIDDEN = 32
LAYERS = 2
HEADS = 4
INTERMEDIATE = 64
MAX_TOKENS = 64  # small on purpose, so a test can exercise truncation cheaply

WORDS = """
the a an is are was were be been on in at of to and or but not no with for from by as it this that
these those there here cat cats kitten dog dogs puppy mat rug sofa chair table house home room
sit sits sat sitting lie lies lay sleep sleeps slept run runs ran walk walks stock stocks price
prices market markets fell fall rise rose sharp sharply slow slowly quick quickly today yesterday
good bad big small red blue green black white one two three four five six seven eight nine ten
hello world text model embed embedding vector vectors sentence sentences word words token tokens
box edge device service server socket data file files cafe coffee tea water book books read reads
i you he she we they my your his her our their what which who when where why how all any some
""".split()
SUFFIXES = "s es ed ing ly er est ment ness tion al ic ful less able".split()


def build_vocab():
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    tokens += list("0123456789abcdefghijklmnopqrstuvwxyz")
    tokens += ["##" + c for c in "0123456789abcdefghijklmnopqrstuvwxyz"]
    tokens += ["##" + s for s in SUFFIXES]
    for w in WORDS:
        if w not in tokens:
            tokens.append(w)
    return {t: i for i, t in enumerate(tokens)}


# --- An independent BERT WordPiece tokenizer (mirrors BertTokenizer's basic + wordpiece steps) ---


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def is_cjk(cp):
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


def basic_tokens(text):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch) in ("Cc", "Cf") and ch not in "\t\n\r"):
            continue
        if ch in "\t\n\r" or unicodedata.category(ch) == "Zs":
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = "".join(out).lower()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
    words = []
    for chunk in text.split():
        cur = ""
        for ch in chunk:
            if is_punct(ch):
                if cur:
                    words.append(cur)
                words.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            words.append(cur)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return ["[UNK]"]
    pieces, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            sub = ("##" if start > 0 else "") + word[start:end]
            if sub in vocab:
                found = sub
                break
            end -= 1
        if found is None:
            return ["[UNK]"]
        pieces.append(found)
        start = end
    return pieces


def encode(text, vocab):
    pieces = [p for w in basic_tokens(text) for p in wordpiece(w, vocab)]
    pieces = pieces[: MAX_TOKENS - 2]  # truncation keeps the head, as the service does
    return [vocab["[CLS]"]] + [vocab[p] for p in pieces] + [vocab["[SEP]"]]


# --- A plain BERT encoder in torch (post-LayerNorm, exact GELU), exported to ONNX ---


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, HIDDEN)
        self.attn_out, self.attn_norm = nn.Linear(HIDDEN, HIDDEN), nn.LayerNorm(HIDDEN, eps=1e-12)
        self.up, self.down = nn.Linear(HIDDEN, INTERMEDIATE), nn.Linear(INTERMEDIATE, HIDDEN)
        self.out_norm = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, bias):
        b, t, _ = x.shape
        d = HIDDEN // HEADS

        def split(y):
            return y.view(b, t, HEADS, d).transpose(1, 2)

        scores = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (scores.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, HIDDEN)
        x = self.attn_norm(x + self.attn_out(ctx))
        return self.out_norm(x + self.down(nn.functional.gelu(self.up(x))))


class TinyBert(nn.Module):
    def __init__(self, vocab_size):
        super().__init__()
        self.words = nn.Embedding(vocab_size, HIDDEN)
        self.positions = nn.Embedding(MAX_TOKENS, HIDDEN)
        self.types = nn.Embedding(2, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.register_buffer("position_ids", torch.arange(MAX_TOKENS).unsqueeze(0), persistent=False)

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = self.position_ids[:, : input_ids.shape[1]]
        x = self.norm(self.words(input_ids) + self.positions(pos) + self.types(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].float()) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return x


def sentence_embedding(model, ids):
    t = torch.tensor([ids])
    with torch.no_grad():
        hidden = model(t, torch.ones_like(t), torch.zeros_like(t))[0]
    return nn.functional.normalize(hidden.mean(0), dim=0).tolist()


def tokenizer_json(vocab):
    special = [t for t in vocab if t.startswith("[")]
    seq = {"Sequence": {"id": "A", "type_id": 0}}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for t in special
        ],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, seq,
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, seq,
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


REFERENCE_TEXTS = [
    "a cat sits on the mat",
    "Hello, world!",
    "Stock prices fell sharply today.",
    "Café au lait — naïve résumé",  # accents stripped, unknown pieces
    "unbelievable tokenization xyzzy",  # WordPiece splits and [UNK]
    "数据 box 2026",  # CJK characters become their own (unknown) words
    "   spaces\tand\nnewlines   ",
    " ".join(["the cat sat on the mat"] * 20),  # longer than MAX_TOKENS: truncated
]


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1, sort_keys=False)
        f.write("\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "test/fixtures/models"
    folder = os.path.join(out, "tiny-bert")
    os.makedirs(os.path.join(folder, "onnx"), exist_ok=True)
    torch.manual_seed(SEED)
    vocab = build_vocab()
    model = TinyBert(len(vocab)).eval()
    with torch.no_grad():  # wider than BERT's init so every weight visibly matters
        for p in model.parameters():
            p.normal_(0.0, 0.3)

    ids = torch.tensor([encode("export sample", vocab)])
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        os.path.join(folder, "onnx", "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in
                      ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
        opset_version=14,
    )
    onnx.checker.check_model(onnx.load(os.path.join(folder, "onnx", "model.onnx")))

    write_json(os.path.join(folder, "config.json"), {
        "model_type": "bert", "architectures": ["BertModel"], "vocab_size": len(vocab),
        "hidden_size": HIDDEN, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
        "intermediate_size": INTERMEDIATE, "hidden_act": "gelu", "max_position_embeddings": MAX_TOKENS,
        "type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0,
    })
    write_json(os.path.join(folder, "tokenizer.json"), tokenizer_json(vocab))
    write_json(os.path.join(folder, "tokenizer_config.json"), {
        "tokenizer_class": "BertTokenizer", "model_max_length": MAX_TOKENS, "do_lower_case": True,
        "cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]",
        "mask_token": "[MASK]", "clean_up_tokenization_spaces": True,
    })
    cases = []
    for text in REFERENCE_TEXTS:
        token_ids = encode(text, vocab)
        cases.append({"text": text, "input_ids": token_ids, "embedding": sentence_embedding(model, token_ids)})
    write_json(os.path.join(out, "tiny-bert.reference.json"), {
        "model": "tiny-bert", "made_by": f"scripts/models/make-tiny-bert.py with torch {torch.__version__}",
        "dimension": HIDDEN, "max_tokens": MAX_TOKENS, "pooling": "mean", "normalize": True, "cases": cases,
    })
    print(f"wrote {folder} ({len(vocab)} tokens) and {len(cases)} reference vectors")


if __name__ == "__main__":
    main()
