/**
 * `bpkg remove --dry-run NAME` of a module whose service runs: the removal stops it (its container
 * goes with the package, hooks.ts afterRemove), and the dry run did not say so (the QA walk:
 * `bpkg remove -s rag` on the demo with rag running). Now its plan names the running services it
 * would stop, and --json has them as `stops`; a stopped one is not named. Nothing is stopped.
 * The CLI in this process against the real engine (Podman), the hello module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { inspectContainer } from '../../src/core/services/lifecycle.js';
import { runCliHere } from '../helpers/cli-here.js';
import { type EngineLeft, installedHello, removeLeft } from '../services/helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };
let up: string;
let root: string;

beforeAll(async () => {
  ({ name: up, root } = await installedHello('bpt-rmup', env, left));
}, 300_000);
afterAll(async () => {
  await removeLeft(left);
});

describe('bpkg remove --dry-run of a running service', () => {
  it('names the running services it would stop (text and --json), and stops nothing', async () => {
    const start = await runCliHere(['--root', root, 'service', 'start', up]);
    expect(start.code, start.err).toBe(0);
    const r = await runCliHere(['--root', root, 'pkg', 'remove', '--dry-run', up]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`Would remove ${up} 1.0.0; nothing was changed (--dry-run).`);
    expect(r.out).toContain(`It would stop the running service ${up} (its container goes with the package).`);
    const json = await runCliHere(['--root', root, '--json', 'pkg', 'remove', '--dry-run', up]);
    expect(json.code, json.err).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({ dryRun: true, stops: [up] });
    expect(
      (await inspectContainer(openEngine(chooseSocket(process.env).path), up, root))?.State.Running,
    ).toBe(true);
  }, 180_000);

  it('a stopped service: none named', async () => {
    const stop = await runCliHere(['--root', root, 'service', 'stop', up]);
    expect(stop.code, stop.err).toBe(0);
    const r = await runCliHere(['--root', root, 'pkg', 'remove', '--dry-run', up]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('would stop');
    const json = await runCliHere(['--root', root, '--json', 'pkg', 'remove', '--dry-run', up]);
    expect(JSON.parse(json.out)).toMatchObject({ dryRun: true, stops: [] });
  }, 120_000);
});
