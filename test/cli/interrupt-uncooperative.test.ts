/**
 * Ctrl-C in a command that does not stop between steps (it never takes the abort signal):
 * `repo build`, `repo publish`, `repo sign`... The CLI's SIGINT handler only aborted a signal
 * nobody listened to, so the first Ctrl-C did nothing (a build or an upload ran on to the end and
 * exited 0) and a second one ended it in silence (exit 130, no line said so). Now the first one
 * ends it at once, as the default SIGINT would, saying so (exit 130; with --json the error is
 * the JSON document). A command that takes the signal still stops between its steps (the
 * model-import, rag and setup interruption tests). The real executable; a module whose build.sh
 * waits, so the signal lands while `repo build` runs it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signalledBuild } from '../helpers/signalled-build.js';

describe('Ctrl-C in a command that does not stop between steps', () => {
  it('ends it at once, saying so (exit 130), before build.sh has ended', async () => {
    const r = await signalledBuild(false, 'SIGINT');
    expect(r.code, r.err).toBe(130);
    expect(r.err).toContain('error: Interrupted by SIGINT');
    expect(r.err).toMatch(/^hint: /m);
    // It did not wait for build.sh to end (nor write an index), and ended it and its children:
    // the signal, sent to blueprint alone here, does not reach their own process groups (3b0d929).
    expect(r.ended).toBe(false);
    expect(r.left).toEqual({ sh: false, sleep: false });
    expect(existsSync(path.join(r.repo, 'index.json'))).toBe(false);
  });

  it('--json: the error is the JSON document on stdout', async () => {
    const r = await signalledBuild(true, 'SIGINT');
    expect(r.code, r.err).toBe(130);
    expect(JSON.parse(r.out)).toEqual({ error: expect.objectContaining({ code: 'interrupted' }) });
  });
});
