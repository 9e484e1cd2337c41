import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePackageSource } from '../../modules/llm/package.js';
import { trustRepository } from '../helpers/module-e2e.js';
import { bpkg, makeKey, run, tempDir } from '../helpers/pkg.js';
import { F32 } from './helpers.js';

// A GGUF imported on the box (`blueprint model import`) is served by the real llm module in the
// real Podman sandbox like a published model package: re-hashed at start, shown by `service
// status` (from the module's /info), and the start is admitted against the box's memory.
const name = `llm-import-${process.pid}`;
const work = tempDir('bp-llm-import-');
const root = join(work, 'root');
const podman = async (...args: string[]) => (await promisify(execFile)('podman', args)).stdout.trim();
const cli = (...args: string[]) => run(['--root', root, '--json', ...args]);
const blueprint = async (...args: string[]) => {
  const r = await cli(...args);
  if (r.code !== 0) throw new Error(`blueprint ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout || '{}') as Record<string, unknown>;
};
const fakeMeminfo = (availableKb: number) => {
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(join(root, 'proc/meminfo'), `MemTotal: 4194304 kB\nMemAvailable: ${availableKb} kB\n`);
};

beforeAll(async () => {
  const key = await makeKey(join(work, 'key'));
  const llm = await makePackageSource({ out: join(work, 'src-llm'), name, context: 256, memory: '512m' });
  const repo = join(work, 'repo');
  const built = await run(['repo', 'build', llm.dir, '--repo', repo, '--key', key.privateFile]);
  expect(built.code, built.stderr).toBe(0);
  await trustRepository((args) => bpkg(root, args), key, repo, ['install', name]);
  const imported = await cli('model', 'import', F32, '--name', 'usb-tiny', '--license', 'MIT (test weights)');
  expect(imported.code, imported.stderr).toBe(0);
}, 600_000);

afterAll(async () => {
  await bpkg(root, ['remove', name, 'model-usb-tiny']).catch(() => undefined);
  await podman('rm', '-f', `blueprint-${name}`).catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
});

describe('an imported model, served by llm (real Podman)', () => {
  it('is served, and service status shows its model, context and device from /info', async () => {
    expect(await blueprint('service', 'start', name)).toMatchObject({ healthy: true });
    const status = (await blueprint('service', 'status', name)) as { info?: Record<string, unknown> };
    expect(status.info).toMatchObject({ model: 'usb-tiny', contextLength: 256, device: 'cpu' });
    expect(typeof status.info?.deviceReason).toBe('string');
    const human = await run(['--root', root, 'service', 'status', name]);
    expect(human.stdout).toMatch(new RegExp(`${name}: model usb-tiny, context 256, device cpu \\(.+\\)`));
    const logs = await run(['--root', root, 'service', 'logs', name]);
    expect(logs.stdout).toMatch(/verified 2 model files of usb-tiny/);
  });

  it('a restart that does not fit in the memory left is refused, and the service keeps running', async () => {
    fakeMeminfo(256 * 1024); // 256 MiB available; its limit is 512 MiB
    try {
      const r = await cli('service', 'restart', name);
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/needs 0\.50 GiB of memory \(its limit\), and the box has 0\.25 GiB left/);
      expect(await podman('inspect', '-f', '{{.State.Running}}', `blueprint-${name}`)).toBe('true');
      expect((await cli('service', 'restart', name, '--force')).code).toBe(0);
    } finally {
      rmSync(join(root, 'proc'), { recursive: true, force: true });
    }
  });

  it('an imported file changed after install is refused at start, named', async () => {
    await blueprint('service', 'stop', name);
    const gguf = join(root, 'opt/blueprint/model-usb-tiny/current/models/usb-tiny/usb-tiny.gguf');
    const original = readFileSync(gguf);
    const changed = Buffer.from(original);
    changed[changed.length - 1]! ^= 1;
    writeFileSync(gguf, changed);
    try {
      expect((await cli('service', 'start', name)).code).not.toBe(0);
      const logs = await run(['--root', root, 'service', 'logs', name]);
      expect(logs.stdout).toMatch(
        /models\/usb-tiny\/usb-tiny\.gguf: sha256 [0-9a-f]{64} but the manifest says/,
      );
    } finally {
      writeFileSync(gguf, original);
    }
  });
});
