/**
 * A preload that reports from inside the executable what Node loaded (test/perf's loaded-module
 * tests): it writes one line `probe JSON` on stderr at exit, which `probed` reads back.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { tempDir } from '../helpers/pkg.js';

/**
 * A preload's source writing `facts` (a JavaScript expression of an object) at exit, after `setup`.
 * Written with fs.writeSync: process.stderr, a pipe here, would load node:stream itself.
 */
export const atExit = (facts: string, setup = ''): string =>
  `${setup}process.on('exit', () => require('node:fs').writeSync(2, 'probe ' + JSON.stringify(${facts}) + '\\n'));\n`;

/** Writes the preload `source` in a new temporary folder (or `dir`): its file. */
export function preloadFile(source: string, dir = tempDir()): string {
  const file = path.join(dir, 'probe.cjs');
  writeFileSync(file, source);
  return file;
}

/** The environment that loads the preload `file` into the executable. */
export const preloading = (file: string): NodeJS.ProcessEnv => ({
  ...process.env,
  NODE_OPTIONS: `--require ${file}`,
});

/** What the preload wrote on this stderr. */
export function probed<T>(stderr: string): T {
  const line = stderr.split('\n').find((l) => l.startsWith('probe '));
  expect(line, 'the probe line on stderr').toBeDefined();
  return JSON.parse(line!.slice(6)) as T;
}
