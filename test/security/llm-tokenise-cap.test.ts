/**
 * llama.cpp tokenises on the llm service's event loop (node-llama-cpp has no asynchronous
 * tokeniser), so the service refuses a prompt with more characters than its context could hold
 * before tokenising it. That bound grew with LLM_CONTEXT: at 32,768 tokens, 524,288 characters (16 a
 * token) were tokenised in one turn (and a chat's twice), /health and every other client waiting
 * for it. Now at most LLM_MAX_PROMPT_CHARS (65,536 by default, the bound at the default context)
 * are tokenised whatever the context; a longer prompt is a 413 saying what to do.
 *
 * The tiny llama (a SentencePiece vocabulary, pieces of at most 16 characters) with
 * `llama.context_length` set to 32,768, served in process with that context.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postJson } from '../helpers/served-llm.js';
import { servedForFile } from '../llm/served-tiny.js';
import { loadTinyLlama, tinyLlamaWithContext } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const CONTEXT = 32_768;
const dir = tempDir('llm-tokenise-cap-');
const socket = join(dir, 'api.sock');

/** How long GET /health takes. */
function health(): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    request({ socketPath: socket, path: '/health' }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t0));
    })
      .on('error', reject)
      .end();
  });
}

servedForFile(
  socket,
  () =>
    loadTinyLlama({
      modelPath: tinyLlamaWithContext(dir, CONTEXT),
      name: 'long-llama',
      contextSize: CONTEXT,
    }),
  { maxTokensCap: CONTEXT },
);

describe('llm: the event loop tokenises a bounded prompt whatever LLM_CONTEXT is', () => {
  it('a maximal chat at a context of 32,768 tokens: /health answers within 300 ms throughout', async () => {
    // Words and numbers (what the tiny vocabulary tokenises slowest of prose), as much as the
    // context times 16 characters allowed.
    const content = Array.from({ length: 100_000 }, (_, i) => `w${i}`)
      .join(' ')
      .slice(0, CONTEXT * 16);
    let done = false;
    const asked = postJson(socket, '/v1/chat/completions', {
      messages: [{ role: 'user', content }],
      max_tokens: 1,
    }).finally(() => {
      done = true;
    });
    let worst = 0;
    while (!done) worst = Math.max(worst, await health());
    const r = await asked;
    console.log(`/health at worst ${worst.toFixed(0)} ms; ${r.status} ${r.text.slice(0, 300)}`);
    expect(worst).toBeLessThan(300);
    expect(r.status).toBe(413);
    expect(JSON.parse(r.text).error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    expect(JSON.parse(r.text).error.message).toMatch(
      /^the prompt is 524288 characters; this service tokenises at most 65536 .*LLM_MAX_PROMPT_CHARS/,
    );
  }, 60_000);

  it('a prompt within the cap is still tokenised and judged by its tokens', async () => {
    const over = await postJson(socket, '/v1/completions', { prompt: 'a,'.repeat(32_768), max_tokens: 1 });
    expect(over.status).toBe(400);
    expect(JSON.parse(over.text).error.message).toMatch(
      /^the prompt is \d+ tokens; this model's context is 32768/,
    );
    const r = await postJson(socket, '/v1/completions', { prompt: 'hello', max_tokens: 1 });
    expect(r.status).toBe(200);
  }, 60_000);
});
