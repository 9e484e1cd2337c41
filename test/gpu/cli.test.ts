import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectGpus } from '../../src/core/gpu/index.js';
import { FIXTURES, fixtureRoot } from './helpers.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/blueprint');
const FIXTURE_NAMES = [
  'none',
  'nvidia-h100',
  'nvidia-nouveau',
  'nvidia-nodriver',
  'mixed',
  'amd-mi210',
  'intel-igpu',
];

const blueprint = (...args: string[]) => execa(BIN, args, { reject: false, env: { NO_COLOR: '1' } });

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` first (npm test does)`);
});

describe('blueprint gpu (the built executable)', () => {
  it('gives the same structured answer as the library on every fixture', async () => {
    expect(FIXTURE_NAMES.length).toBeGreaterThan(0);
    for (const name of FIXTURE_NAMES) {
      const run = await blueprint('--root', fixtureRoot(name), 'gpu', '--json');
      expect(run.exitCode, `${name}: ${run.stderr}`).toBe(0);
      expect(JSON.parse(run.stdout), name).toEqual(await detectGpus(fixtureRoot(name), { runner: null }));
    }
  });

  it('prints each GPU with its readiness line and the fix', async () => {
    const run = await blueprint('--root', path.join(FIXTURES, 'nvidia-nouveau/root'), 'gpu');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('0000:01:00.0  NVIDIA GeForce GTX 1080  [10de:1b80]');
    expect(run.stdout).toContain(
      'container  not ready: bound to nouveau, which has no CUDA: install the NVIDIA driver',
    );
    expect(run.stdout).toContain('1 GPU(s), 0 usable by containers.');
  });

  it('says when there is no GPU, what it looked at and how a GPU would serve the llm', async () => {
    const run = await blueprint('--root', fixtureRoot('none'), 'gpu');
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('No GPU found: AI services run on CPU.');
    // What was looked at, so a GPU that is there but unseen points at the kernel, not at blueprint.
    expect(run.stdout).toMatch(/PCI devices \(\/sys\/bus\/pci\/devices\)/);
    expect(run.stdout).toMatch(/lspci/);
    // What an Ollama user moving here asks next: how the llm would use one.
    expect(run.stdout).toMatch(/nvidia-ctk cdi generate/);
    expect(run.stdout).toMatch(/CUDA variant/);
    // --json is unchanged: the report, no words.
    const json = await blueprint('--root', fixtureRoot('none'), 'gpu', '--json');
    expect(JSON.parse(json.stdout).accelerators).toEqual([]);
  });

  it('refuses a bad --timeout with a usage error', async () => {
    const run = await blueprint('--root', fixtureRoot('none'), 'gpu', '--timeout', 'soon');
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--timeout needs a whole number of milliseconds');
  });

  it('has --help', async () => {
    const run = await blueprint('gpu', '--help');
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain('--no-tools');
  });
});
