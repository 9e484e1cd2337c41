import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToolRunner } from '../../src/core/gpu/index.js';
import { tempDir } from '../setup/temp-registry.js';

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

/** A writable copy of a fixture root, for tests that break one thing in it (removed after the file). */
export async function copyFixture(name: string): Promise<string> {
  const dir = tempDir(`bp-gpu-${name}-`);
  await cp(fixtureRoot(name), dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}
