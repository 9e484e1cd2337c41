/**
 * `bpkg remove NAME` of a module whose service runs: the removal stops it (its container goes with
 * the package, hooks.ts afterRemove), and the real removal said only 'removed NAME 1.0.0' while its
 * --dry-run names it (6e888d2). Now a line per service it stopped, after the package's, and each
 * such change has `stopped: true` in --json; a stopped service's removal says nothing of the kind.
 * The CLI in this process against the real engine (Podman), the hello module.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { inspectContainer } from '../../src/core/services/lifecycle.js';
import { runCliHere } from '../helpers/cli-here.js';
import { type EngineLeft, installedHello, removeLeft } from '../services/helpers.js';

const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
const left: EngineLeft = { containers: [], images: [] };
const engine = () => openEngine(chooseSocket(process.env).path);
let boxes: { name: string; root: string }[] = [];

beforeAll(async () => {
  boxes = await Promise.all([0, 1, 2].map(() => installedHello('bpt-rmstop', env, left)));
}, 300_000);
afterAll(async () => {
  await removeLeft(left);
});

describe('bpkg remove of a running service', () => {
  it('says it stopped the running service (one line), and it is gone', async () => {
    const { name, root } = boxes[0]!;
    const start = await runCliHere(['--root', root, 'service', 'start', name]);
    expect(start.code, start.err).toBe(0);
    const r = await runCliHere(['--root', root, '--yes', 'pkg', 'remove', name]);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines.filter((l) => l.includes('stopped'))).toEqual([
      `stopped the running service ${name} (its container went with the package)`,
    ]);
    expect(lines.findIndex((l) => l.startsWith(`removed ${name} 1.0.0`))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('stopped')),
    );
    expect(await inspectContainer(engine(), name, root)).toBeUndefined();
  }, 180_000);

  it('--json: the change has stopped: true', async () => {
    const { name, root } = boxes[1]!;
    const start = await runCliHere(['--root', root, 'service', 'start', name]);
    expect(start.code, start.err).toBe(0);
    const r = await runCliHere(['--root', root, '--yes', '--json', 'pkg', 'remove', name]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ changes: [{ name, from: '1.0.0', stopped: true }] });
  }, 180_000);

  it('a stopped service: nothing said of stopping, no stopped field', async () => {
    const { name, root } = boxes[2]!;
    const r = await runCliHere(['--root', root, '--yes', '--json', 'pkg', 'remove', name]);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out);
    expect(out.changes).toHaveLength(1);
    expect(out.changes[0]).not.toHaveProperty('stopped');
  }, 120_000);
});
