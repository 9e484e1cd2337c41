import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolRunner } from '../../src/core/gpu/index.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/gpu');

export const fixtureRoot = (name: string) => path.join(FIXTURES, name, 'root');

const RECORDED: Record<string, string> = { 'nvidia-smi': 'nvidia-smi.csv', 'rocm-smi': 'rocm-smi.json' };

/** A runner answering with the fixture's recorded outputs; a tool with no recording is "missing". */
export function recordedRunner(name: string, calls: string[][] = []): ToolRunner {
  return async (file, args) => {
    calls.push([file, ...args]);
    const text = await readFile(path.join(FIXTURES, name, 'tools', RECORDED[file] ?? '-'), 'utf8').catch(
      () => undefined,
    );
    return text === undefined
      ? { status: 'missing', detail: `${file} is not installed` }
      : { status: 'ok', stdout: text };
  };
}

const temps: string[] = [];

/** A writable copy of a fixture root, for tests that break one thing in it. */
export async function copyFixture(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `bp-gpu-${name}-`));
  temps.push(dir);
  await cp(fixtureRoot(name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export async function removeCopies(): Promise<void> {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}
