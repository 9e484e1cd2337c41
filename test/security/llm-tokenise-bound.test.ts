/**
 * llama.cpp tokenises on the event loop, so the llm service refuses a prompt before tokenising it
 * when it has more characters than the context could hold. That bound was the context times the
 * vocabulary's longest piece: 16 characters for Llama 2's SentencePiece vocabulary, but 128 for
 * Llama 3's and Qwen2's (runs of spaces, `=` or `-`), so at the default 4,096 tokens a client could
 * send 524,288 characters to be tokenised in one turn of the event loop: measured 1.2-2.7 s with
 * those vocabularies (spaces, `=`, CJK; ~0.3 s at 65,536), /health and every client waiting, twice
 * for a chat. Now at most 16 characters a token of context are tokenised, whatever the vocabulary.
 *
 * The tiny llama's longest piece is 16 characters; this test serves a copy whose first piece is
 * 133 `=` (the GGUF's header grows by 128 bytes, a multiple of its 32-byte alignment, so the
 * tensors' offsets stay right).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postJson } from '../helpers/served-llm.js';
import { F32 } from '../llm/helpers.js';
import { servedForFile } from '../llm/served-tiny.js';
import { loadTinyLlama } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-tokenise-bound-');

/** The tiny llama with its piece 0 (`<unk>`) replaced by 133 `=`. */
function longPieceLlama(): string {
  const gguf = readFileSync(F32);
  const key = Buffer.from('tokenizer.ggml.tokens');
  const at = gguf.indexOf(key) + key.length + 16; // array type, element type, count
  const old = Number(gguf.readBigUInt64LE(at));
  if (gguf.subarray(at + 8, at + 8 + old).toString() !== '<unk>')
    throw new Error('the fixture is not the tiny llama this test patches');
  const piece = Buffer.from('='.repeat(133));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(piece.length));
  const file = join(dir, 'long-piece.gguf');
  writeFileSync(file, Buffer.concat([gguf.subarray(0, at), len, piece, gguf.subarray(at + 8 + old)]));
  return file;
}

const socket = join(dir, 'api.sock');
servedForFile(socket, () => loadTinyLlama({ modelPath: longPieceLlama(), name: 'long-piece' }));

describe("a vocabulary with long pieces (Llama 3's, Qwen2's)", () => {
  it('does not let a longer prompt be tokenised: 16 characters a token of context at most', async () => {
    // 256 tokens × 133 characters: 34,048 characters were tokenised before the 400.
    const r = await postJson(socket, '/v1/completions', { prompt: 'a'.repeat(20_000), max_tokens: 1 });
    expect(r.status).toBe(400);
    const error = JSON.parse(r.text).error;
    expect(error).toMatchObject({ param: 'prompt', code: 'context_length_exceeded' });
    expect(error.message).toMatch(
      /^the prompt is 20000 characters; this model's context of 256 tokens holds at most 4096 /,
    );
    // A stop string is bounded alike (node-llama-cpp sets up its detector per character).
    const stop = await postJson(socket, '/v1/completions', {
      prompt: 'hi',
      max_tokens: 1,
      stop: '='.repeat(5_000),
    });
    expect(stop.status).toBe(400);
    expect(JSON.parse(stop.text).error.message).toMatch(/at most 4096 characters/);
  });

  it('a prompt within the bound is tokenised and judged by its tokens', async () => {
    const over = await postJson(socket, '/v1/completions', { prompt: 'a'.repeat(3_000), max_tokens: 1 });
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text).error.message).toMatch(
      /^the prompt is \d+ tokens; this model's context is 256/,
    );
    const r = await postJson(socket, '/v1/completions', { prompt: 'hello', max_tokens: 1 });
    expect(r.status).toBe(200);
  });
});
