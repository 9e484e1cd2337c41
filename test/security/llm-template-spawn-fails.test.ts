/**
 * The chat template's renderer (template-bound.ts) is a child process started from a relay thread;
 * a start that fails (the container's pids limit: EAGAIN; its descriptors: EMFILE) is an 'error'
 * event on the child, which the relay did not handle: the thread ended with it, and its 'error' on
 * the service's Worker, handled by no one either, ended the service (every client's chats, and
 * the model loaded again at the restart). Anyone who can fill the service's descriptors (held
 * connections) when a renderer is started again (after one died or was stopped: a template past
 * its bound) had it end. Here the test process's descriptors are filled while the renderer is
 * started again after its death; before the fix the test process itself ended ('spawn … EMFILE').
 */
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postJson } from '../helpers/served-llm.js';
import { until } from '../helpers/until.js';
import { servedForFile } from '../llm/served-tiny.js';
import { loadTinyLlama } from '../llm/tiny-engine.js';
import { tempDir } from '../setup/temp-registry.js';

const dir = tempDir('llm-template-spawn-fails-');
const socket = join(dir, 'api.sock');

servedForFile(socket, () =>
  loadTinyLlama({
    chatTemplate: '{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant: ',
  }),
);

const chat = () =>
  postJson(socket, '/v1/chat/completions', { messages: [{ role: 'user', content: 'hello' }], max_tokens: 2 });

/** The renderers this process started (template-child), by pid. */
const renderers = () => {
  try {
    return execFileSync('pgrep', ['-P', String(process.pid), '-f', 'template-child'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};

describe("attack: the renderer's start fails", () => {
  it('a renderer that cannot be started again ends neither the relay nor the service', async () => {
    expect((await chat()).status).toBe(200);
    const [victim] = renderers();
    expect(victim).toBeDefined();
    // Every descriptor taken: the next start cannot make its pipes (EMFILE).
    const held: number[] = [];
    try {
      for (;;) held.push(openSync('/dev/null', 'r'));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe('EMFILE');
    }
    try {
      process.kill(victim!, 'SIGKILL');
      // The relay sees the death and starts another (which fails) meanwhile: it reaps the process
      // (waited for: a loaded machine may take longer than the 1 s that was all of it), and then
      // at once starts another, within the 1 s still given.
      await until('the renderer reaped', () => !existsSync(`/proc/${victim}`));
      await new Promise((r) => setTimeout(r, 1_000));
    } finally {
      for (const fd of held) closeSync(fd);
    }
    expect(renderers()).toEqual([]);
    // The service goes on: a chat starts the renderer again (its start may be counted in that
    // chat's deadline once: a 400 naming the template on a loaded box), the next one is answered.
    const first = await chat();
    const second = first.status === 200 ? first : await chat();
    expect(second.status, second.text).toBe(200);
  }, 120_000);
});
