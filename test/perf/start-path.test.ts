/**
 * What `blueprint --version`, `blueprint --json version` and `--help` compile before they answer.
 * Every KB on the start-up path is compile time on each command (the bundle's 960 KB start path,
 * zod's and semver's, cost 40 ms of a 96 ms start: README, Figures); libraries load with the
 * command that needs them. Structural, not timed: `npm run bench -- pkg` times the start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build helper, no types
import { bundleOptions, startPath } from '../../scripts/build-options.mjs';

const root = path.resolve(import.meta.dirname, '../..');
let out: string;
let metafile: esbuild.Metafile;

beforeAll(async () => {
  out = mkdtempSync(path.join(os.tmpdir(), 'bp-start-'));
  ({ metafile } = (await esbuild.build({ ...bundleOptions(root, out), write: false })) as {
    metafile: esbuild.Metafile;
  });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The output chunks the entry loads before it runs: its static imports, transitively. */
function startChunks(): Map<string, number> {
  const outputs = metafile.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === 'src/main.ts')!;
  const seen = new Map<string, number>();
  const queue = [entry];
  while (queue.length) {
    const o = queue.shift()!;
    if (seen.has(o)) continue;
    seen.set(o, outputs[o]!.bytes);
    for (const i of outputs[o]!.imports) if (i.kind === 'import-statement' && !i.external) queue.push(i.path);
  }
  return seen;
}

describe('start-up path', () => {
  it.each(['src/main.ts', 'src/cli/commands/version.ts'])(
    '%s holds no library a command loads for itself (zod, semver, openpgp, ink, react, dockerode, tar, yaml)',
    (entry) => {
      const { bytes, via } = startPath(metafile, entry) as {
        bytes: Map<string, number>;
        via: Map<string, string | null>;
      };
      const heavy = /^node_modules\/(zod|semver|openpgp|ink|react|dockerode|tar|yaml|execa|@huggingface)\//;
      const chain = (f: string) => {
        const c: string[] = [];
        for (let x: string | null | undefined = f; x; x = via.get(x)) c.unshift(x);
        return c.join(' -> ');
      };
      const found = [...bytes.keys()].filter((f) => heavy.test(f)).map(chain);
      expect(found.slice(0, 3)).toEqual([]);
    },
  );

  it('compiles under 64 KB of bundled code before the command runs', () => {
    const total = [...startChunks().values()].reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(64 * 1024);
  });
});
