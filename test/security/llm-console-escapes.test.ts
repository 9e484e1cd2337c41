/**
 * Libraries a module uses print to the console themselves, past the kit's escaped log: node-llama-cpp
 * warns about a JSON schema's "$ref" it cannot follow by writing the reference, which is the
 * client's text, to stderr. stderr is the module's log, which `blueprint service logs` writes to
 * the admin's terminal as it is. The llm service's console must go through the kit log (escaped, one
 * record a line, rate-limited), so a chat request cannot put an escape sequence on that terminal.
 * The service's bundle runs as its own process (as in the container, without the sandbox).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLlm, postJson, serveLlm, UNSAFE } from '../helpers/served-llm.js';
import type { ServedProcess } from '../helpers/served-module.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';

const hostile = '\x1b]0;owned\x07\x1b[2J\r\n2026-12-01T00:00:00.000Z llm: forged \u202eevil\u009b31m';

let llm: ServedProcess;
beforeAll(async () => {
  const dir = tempDir('llm-console-');
  llm = await serveLlm(await bundleLlm(dir), join(dir, 'api.sock'));
}, 120_000);
afterAll(() => llm?.kill());

const chat = async (body: unknown) => (await postJson(llm.socket, '/v1/chat/completions', body)).status;

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
    // Its stderr reaches us (before: a 200 ms sleep).
    await until('the warning logged', () => /Reference [\s\S]*?does not/.test(llm.log()));
    const log = llm.log();
    // The warning was written (the test reaches the library's console), and escaped.
    expect(log).toMatch(/Reference [\s\S]*?does not/);
    for (const line of log.split('\n')) expect([line, UNSAFE.exec(line)]).toEqual([line, null]);
    expect(log).toContain('\\x1b]0;owned\\x07');
    expect(log).not.toMatch(/^2026-12-01T00:00:00\.000Z llm: forged/m);
  }, 60_000);
});
