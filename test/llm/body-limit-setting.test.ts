/**
 * The llm bundle, served as in its container, with a body limit the admin lowered: a request over
 * it is a 413 that names the setting raising it (`blueprint service config llm
 * LLM_MAX_BODY_BYTES=...`), on the OpenAI route as on Ollama's.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLlm, postJson } from '../helpers/served-llm.js';
import { type ServedProcess, spawnServed } from '../helpers/served-module.js';
import { tempDir } from '../setup/temp-registry.js';
import { F32, FIXTURE_MODELS } from './helpers.js';

const dir = tempDir('llm-body-setting-');
let llm: ServedProcess;

beforeAll(async () => {
  const sha = createHash('sha256').update(readFileSync(F32)).digest('hex');
  llm = await spawnServed(
    await bundleLlm(dir),
    {
      LLM_MODEL_DIR: FIXTURE_MODELS,
      LLM_MODEL: 'tiny-llama',
      LLM_FILES_ROOT: FIXTURE_MODELS,
      LLM_FILES: JSON.stringify({ 'tiny-llama/tiny-llama-f32.gguf': sha }),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
      LLM_MAX_BODY_BYTES: '65536',
    },
    join(dir, 'api.sock'),
  );
}, 180_000);
afterAll(async () => {
  await llm?.kill();
});

const long = { model: 'tiny-llama', messages: [{ role: 'user', content: 'x'.repeat(70_000) }] };

describe('llm: a body over LLM_MAX_BODY_BYTES', () => {
  it.each(['/v1/chat/completions', '/api/chat'])('%s answers 413 naming the setting', async (route) => {
    const r = await postJson(llm.socket, route, long);
    expect(r.status).toBe(413);
    expect(r.text).toContain(
      'request body over 65536 bytes; the admin raises the limit with `blueprint service config llm LLM_MAX_BODY_BYTES=BYTES`',
    );
  });
});
