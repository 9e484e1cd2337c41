/**
 * `service start NAME` of a module that uses others starts those first (start-service.ts
 * startUsed), and said only NAME's line: after `service start rag` on the demo a user did not learn
 * that embeddings, vectors and llm now ran too (the QA walk). Now a line for each used module,
 * before NAME's, says it was started or was already running and which module uses it; --json's
 * object for NAME has them under `uses` (the same shape, nested). The CLI in this process against
 * the real engine (Podman), the hello module as a (used by c).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { buildHello, makeBox, type TestBox, uniqueName } from '../services/helpers.js';

let box: TestBox;
const a = uniqueName('bpt-used'); // used by c
const c = uniqueName('bpt-user');

beforeAll(async () => {
  box = await makeBox(await buildHello());
  await box.install(a);
  await box.install(c, {}, { manifest: { uses: [`${a}>=1.0.0,<2.0.0`] } });
}, 300_000);
afterAll(async () => {
  await box?.cleanup();
});

describe('service start of a module that uses another', () => {
  it('says what it started first, then, once running, that it was already running', async () => {
    const first = await runCliHere(['--root', box.root, 'service', 'start', c]);
    expect(first.code, first.err).toBe(0);
    const lines = first.out.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(
      new RegExp(`^${a} 1\\.0\\.0 started \\(used by ${c}\\), healthy after \\d+ ms$`),
    );
    expect(lines[1]).toMatch(new RegExp(`^${c} 1\\.0\\.0 started, healthy after \\d+ ms$`));
    // Then where its API is: the one it was asked to start, not what it uses.
    expect(lines[2]).toBe(`${c}'s API: ${path.join(box.root, 'run/blueprint/services', c, 'hello.sock')}`);

    const stop = await runCliHere(['--root', box.root, 'service', 'stop', c]);
    expect(stop.code, stop.err).toBe(0);
    const json = await runCliHere(['--root', box.root, '--json', 'service', 'start', c]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      name: c,
      alreadyRunning: false,
      healthy: true,
      uses: [{ name: a, version: '1.0.0', alreadyRunning: true, healthy: true }],
    });
    const again = await runCliHere(['--root', box.root, 'service', 'start', c]);
    expect(again.out.trim().split('\n')).toEqual([
      `${a} 1.0.0 was already running (used by ${c}), healthy`,
      `${c} 1.0.0 was already running, healthy`,
      `${c}'s API: ${path.join(box.root, 'run/blueprint/services', c, 'hello.sock')}`,
    ]);
  }, 180_000);
});
