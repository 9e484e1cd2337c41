/**
 * Makes a model with the shape of sentence-transformers/all-MiniLM-L6-v2 and random weights: a
 * BERT encoder of 6 layers, hidden 384, 12 heads, feed-forward 1536, a 30,522-token WordPiece
 * vocabulary and 512 positions, truncating at 256 tokens (its sentence_bert_config.json). The
 * work per token is the real model's, so it measures what the service costs around a real
 * encoder (issue 20); the vectors mean nothing. ~90 MB, so generated and cached, never committed.
 * The graph is plain ONNX (opset 17: Gather, MatMul, LayerNormalization, Softmax, Erf...), written
 * with onnx-proto.ts as no ONNX library exists here. Tokenizer: the tiny BERT fixture's, with the
 * vocabulary grown to 30,522 (its first entries, the special tokens among them, keep their ids).
 *
 *   node scripts/models/minilm-shaped.ts [OUT_DIR]   (default node_modules/.cache/blueprint-models)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FLOAT, INT64, initializer, model, node, valueInfo } from './onnx-proto.ts';

export const MINILM_SHAPED = 'minilm-shaped';
const VOCAB = 30_522;
const HIDDEN = 384;
const LAYERS = 6;
const HEADS = 12;
const FFN = 1536;
const POSITIONS = 512;
const MAX_SEQ = 256;

/** Deterministic weights, uniform with BERT's initial spread (std 0.02). */
function weights(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  const a = 0.02 * Math.sqrt(3);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 * a - a;
  }
  return out;
}

export function minilmShapedModel(vocab = VOCAB): Buffer {
  const nodes: Buffer[] = [];
  const inits: Buffer[] = [];
  let seed = 1;
  const w = (name: string, dims: number[]) => {
    inits.push(
      initializer(
        name,
        dims,
        weights(
          dims.reduce((a, b) => a * b, 1),
          seed++,
        ),
      ),
    );
    return name;
  };
  const fill = (name: string, dims: number[], v: number) => {
    inits.push(initializer(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(v)));
    return name;
  };
  const ints = (name: string, values: number[], dims = [values.length]) => {
    inits.push(initializer(name, dims, BigInt64Array.from(values.map(BigInt))));
    return name;
  };
  let n = 0;
  const op = (type: string, inputs: string[], attrs?: Parameters<typeof node>[3], out = `t${n++}`) => {
    nodes.push(node(type, inputs, [out], attrs));
    return out;
  };
  const layerNorm = (x: string, p: string) =>
    op('LayerNormalization', [x, fill(`${p}.gamma`, [HIDDEN], 1), fill(`${p}.beta`, [HIDDEN], 0)], {
      axis: { i: -1 },
      epsilon: { f: 1e-12 },
    });
  const linear = (x: string, p: string, from: number, to: number) =>
    op('Add', [op('MatMul', [x, w(`${p}.weight`, [from, to])]), fill(`${p}.bias`, [to], 0)]);

  // Embeddings: words + positions 0..T-1 + token types, normalised.
  const seqLen = op('Gather', [op('Shape', ['input_ids']), ints('one_i', [1], [])], { axis: { i: 0 } });
  const positions = op('Range', [ints('zero_i', [0], []), seqLen, 'one_i']);
  let x = op('Add', [
    op('Add', [
      op('Gather', [w('embeddings.word', [vocab, HIDDEN]), 'input_ids']),
      op('Gather', [w('embeddings.position', [POSITIONS, HIDDEN]), positions]),
    ]),
    op('Gather', [w('embeddings.token_type', [2, HIDDEN]), 'token_type_ids']),
  ]);
  x = layerNorm(x, 'embeddings.norm');
  // Padding masked out of attention: (1 - mask) * -10000, as [batch, 1, 1, T].
  const mask = op('Cast', ['attention_mask'], { to: { i: FLOAT } });
  const bias = op('Unsqueeze', [
    op('Mul', [op('Sub', [fill('one_f', [], 1), mask]), fill('neg_f', [], -10000)]),
    ints('axes_12', [1, 2]),
  ]);
  const heads = ints('shape_heads', [0, 0, HEADS, HIDDEN / HEADS]);
  const merged = ints('shape_merged', [0, 0, HIDDEN]);
  const split = (t: string, perm: number[]) =>
    op('Transpose', [op('Reshape', [t, heads])], { perm: { ints: perm } });
  for (let l = 0; l < LAYERS; l++) {
    const p = `layer${l}`;
    const q = split(linear(x, `${p}.q`, HIDDEN, HIDDEN), [0, 2, 1, 3]);
    const k = split(linear(x, `${p}.k`, HIDDEN, HIDDEN), [0, 2, 3, 1]);
    const v = split(linear(x, `${p}.v`, HIDDEN, HIDDEN), [0, 2, 1, 3]);
    const scores = op('Add', [
      op('Mul', [op('MatMul', [q, k]), fill(`${p}.scale`, [], 1 / Math.sqrt(HIDDEN / HEADS))]),
      bias,
    ]);
    const ctx = op('MatMul', [op('Softmax', [scores], { axis: { i: -1 } }), v]);
    const joined = op('Reshape', [op('Transpose', [ctx], { perm: { ints: [0, 2, 1, 3] } }), merged]);
    x = layerNorm(op('Add', [x, linear(joined, `${p}.attn_out`, HIDDEN, HIDDEN)]), `${p}.attn_norm`);
    // Exact GELU: u * 0.5 * (1 + erf(u / sqrt 2)).
    const u = linear(x, `${p}.up`, HIDDEN, FFN);
    const erf = op('Erf', [op('Mul', [u, fill(`${p}.inv_sqrt2`, [], Math.SQRT1_2)])]);
    const gelu = op('Mul', [op('Mul', [u, op('Add', [erf, 'one_f'])]), fill(`${p}.half`, [], 0.5)]);
    x = layerNorm(op('Add', [x, linear(gelu, `${p}.down`, FFN, HIDDEN)]), `${p}.out_norm`);
  }
  op('Identity', [x], undefined, 'last_hidden_state');
  return model('blueprint minilm-shaped maker', 17, [
    ...nodes,
    Buffer.from([0x12, 13, ...Buffer.from('minilm-shaped')]), // GraphProto.name (field 2)
    ...inits,
    ...['input_ids', 'attention_mask', 'token_type_ids'].map((name) =>
      valueInfo(11, name, INT64, ['batch', 'sequence']),
    ),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', HIDDEN]),
  ]);
}

/** The tiny BERT fixture's tokenizer with its vocabulary grown to `size` pieces. */
function tokenizerFiles(repo: string, size: number) {
  const fixture = join(repo, 'test/fixtures/models/tiny-bert');
  const tokenizer = JSON.parse(readFileSync(join(fixture, 'tokenizer.json'), 'utf8'));
  const vocab: Record<string, number> = tokenizer.model.vocab;
  let next = Object.keys(vocab).length;
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  // Made-up words and word pieces ("bax", "##bax") until the vocabulary has its real size.
  for (let i = 0; next < size; i++) {
    let word = '';
    for (let j = i + letters.length * letters.length; j > 0; j = Math.floor(j / letters.length))
      word += letters[j % letters.length];
    for (const piece of [word, `##${word}`]) if (next < size && !(piece in vocab)) vocab[piece] = next++;
  }
  const config = JSON.parse(readFileSync(join(fixture, 'tokenizer_config.json'), 'utf8'));
  return { tokenizer, tokenizerConfig: { ...config, model_max_length: POSITIONS }, size: next };
}

/** Writes OUT/minilm-shaped unless it is already there; returns the folder. */
export function ensureMinilmShapedModel(outDir: string): string {
  const folder = join(outDir, MINILM_SHAPED);
  if (existsSync(join(folder, 'onnx', 'model.onnx'))) return folder;
  const repo = resolve(import.meta.dirname, '../..');
  const { tokenizer, tokenizerConfig, size } = tokenizerFiles(repo, VOCAB);
  // Built in a temporary folder and renamed, so an interrupted run never leaves half a model.
  const tmp = `${folder}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  writeFileSync(join(tmp, 'onnx', 'model.onnx'), minilmShapedModel(size));
  writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizer));
  writeFileSync(join(tmp, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 1));
  const config = {
    model_type: 'bert',
    architectures: ['BertModel'],
    vocab_size: size,
    hidden_size: HIDDEN,
    num_hidden_layers: LAYERS,
    num_attention_heads: HEADS,
    intermediate_size: FFN,
    hidden_act: 'gelu',
    max_position_embeddings: POSITIONS,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
    note: 'the shape of all-MiniLM-L6-v2 with random weights (scripts/models/minilm-shaped.ts)',
  };
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 1));
  writeFileSync(
    join(tmp, 'sentence_bert_config.json'),
    JSON.stringify({ max_seq_length: MAX_SEQ, do_lower_case: false }),
  );
  mkdirSync(dirname(folder), { recursive: true });
  rmSync(folder, { recursive: true, force: true });
  renameSync(tmp, folder);
  return folder;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { defaultModelCache } = await import('./glove.ts');
  console.log(ensureMinilmShapedModel(process.argv[2] ?? defaultModelCache()));
}
