/**
 * Libraries a module uses print to the console themselves, past the kit's escaped log: node-llama-cpp
 * warns about a JSON schema's "$ref" it cannot follow by writing the reference, which is the
 * client's text, to stderr. stderr is the module's log, which `blueprint service logs` writes to
 * the admin's terminal as it is. The llm service's console must go through the kit log (escaped, one
 * record a line, rate-limited), so a chat request cannot put an escape sequence on that terminal.
 * The service's bundle runs as its own process (as in the container, without the sandbox).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleServer, placeRuntimeFiles } from '../../modules/llm/package.js';
import { type ServedProcess, spawnServed } from '../helpers/served-module.js';
import { F32, FIXTURE_MODELS } from '../llm/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const UNSAFE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
const hostile = '\x1b]0;owned\x07\x1b[2J\r\n2026-12-01T00:00:00.000Z llm: forged \u202eevil\u009b31m';

let llm: ServedProcess;
beforeAll(async () => {
  const dir = tempDir('llm-console-');
  const server = join(dir, 'app/llm/dist/server.mjs');
  await bundleServer(server);
  placeRuntimeFiles(join(dir, 'app'));
  const sha = createHash('sha256').update(readFileSync(F32)).digest('hex');
  llm = await spawnServed(
    server,
    {
      LLM_MODEL_DIR: FIXTURE_MODELS,
      LLM_MODEL: 'tiny-llama',
      LLM_FILES_ROOT: FIXTURE_MODELS,
      LLM_FILES: JSON.stringify({ 'tiny-llama/tiny-llama-f32.gguf': sha }),
      LLM_DEVICE: 'cpu',
      LLM_THREADS: '1',
    },
    join(dir, 'api.sock'),
  );
}, 120_000);
afterAll(() => llm?.kill());

function chat(body: unknown): Promise<number> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: llm.socket,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', 'content-length': data.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe("what node-llama-cpp prints about a client's schema reaches the log escaped", () => {
  it('a $ref holding escape sequences, a new line and bidi overrides', async () => {
    for (const $ref of [hostile, `#/$defs/${hostile}`]) {
      const status = await chat({
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 2,
        response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { $ref } } },
      });
      expect(status).toBeLessThan(500);
    }
    await new Promise((r) => setTimeout(r, 200));
    const log = llm.log();
    // The warning was written (the test reaches the library's console), and escaped.
    expect(log).toMatch(/Reference [\s\S]*?does not/);
    for (const line of log.split('\n')) expect([line, UNSAFE.exec(line)]).toEqual([line, null]);
    expect(log).toContain('\\x1b]0;owned\\x07');
    expect(log).not.toMatch(/^2026-12-01T00:00:00\.000Z llm: forged/m);
  }, 60_000);
});
