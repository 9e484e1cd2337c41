/**
 * `service start NAME` on a service that already runs said "NAME 1.0.0 started, healthy after 12 ms",
 * as if it had been started; `stop` of a stopped one says "was not running". Now it says it was
 * already running, and --json has `alreadyRunning` (false for a start that started it). The CLI in
 * this process against the real engine (Podman), the hello module.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { buildHello, fileBox, uniqueName } from '../services/helpers.js';

const name = uniqueName('bpt-again');
const box = fileBox(buildHello, name);

describe('service start of a service already running', () => {
  it('says started the first time, already running the second (text and --json)', async () => {
    const first = await runCliHere(['--root', box.root, '--json', 'service', 'start', name]);
    expect(first.code, first.err).toBe(0);
    // Where its API is (QA21: an Ollama user looks for 'listening on …'): the socket on this box.
    const socket = path.join(box.root, 'run/blueprint/services', name, 'hello.sock');
    expect(JSON.parse(first.out)).toMatchObject({ name, alreadyRunning: false, healthy: true, socket });
    const again = await runCliHere(['--root', box.root, '--json', 'service', 'start', name]);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ name, alreadyRunning: true });
    const text = await runCliHere(['--root', box.root, 'service', 'start', name]);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toContain(`${name} 1.0.0 was already running`);
    expect(text.out).toContain(`${name}'s API: ${socket}`);
    expect(text.out).not.toContain('started');
  }, 120_000);
});
