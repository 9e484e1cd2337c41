/**
 * How `npm start` (scripts/demo.mjs) ends when a step does not (the QA24 walk on a fresh machine):
 *
 * - A step that failed ended the demo with Node's own report of execFileSync: 'Error: Command
 *   failed: …', a stack through node:internal and `{ status: 1, signal: null, output: [ null … ] }`
 *   under the step's real error. Now one `==>` line names the step that failed and its exit code,
 *   and the demo ends with that code.
 * - Ctrl-C reaches the whole process group. The demo died at once while the step running (a
 *   package removal completing its commit, a build removing what it made) still wrote: its words
 *   came after the shell's prompt. Now the demo waits for the step, runs no further step, says it
 *   was interrupted and that `npm start` makes the demo anew, and ends with 130.
 *
 * Run as the npm-start test runs it: no terminal, after the host setup, into a temporary folder.
 */
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/pkg.js';
import { demoProcess } from './demo-process.js';

const NODE_REPORT = /node:internal|at execFileSync|Command failed:|signal: null/;

describe('npm start when a step does not end well', () => {
  it('a failed step: one line naming it and its exit code, no Node report', async () => {
    // The repository build's podman asks an engine that is not there.
    const run = demoProcess({
      BLUEPRINT_DEMO_DIR: tempDir('bp-demo-fail-'),
      CONTAINER_HOST: `unix://${tempDir('bp-demo-noengine-')}/none.sock`,
    });
    const code = await run.ended;
    const err = run.stderr();
    expect(code, err).not.toBe(0);
    expect(err).toMatch(/==> npm start stopped: .*repo build.* failed \(exit \d+\)/);
    expect(err).toContain(`exit ${code})`);
    expect(err).not.toMatch(NODE_REPORT);
    expect(err).not.toContain('No terminal: showing the box');
  }, 300_000);

  it('Ctrl-C: the step ends first, then the demo, with 130 and what to do', async () => {
    const run = demoProcess({ BLUEPRINT_DEMO_DIR: tempDir('bp-demo-int-') });
    await run.interruptOnceSaid('Preparing module', 240_000);
    const code = await run.ended;
    const err = run.stderr();
    expect(code, err).toBe(130);
    expect(err).toMatch(/==> Interrupted \(SIGINT\).*npm start.*anew/s);
    expect(err).not.toMatch(NODE_REPORT);
    // No step after the one the signal reached.
    expect(err).not.toContain('Building the demo repository');
    expect(err).not.toContain('No terminal: showing the box');
    // The demo's line is the last: nothing the step said comes after it.
    expect(err.trimEnd().split('\n').at(-1)).toMatch(/npm start|anew/);
  }, 300_000);
});
