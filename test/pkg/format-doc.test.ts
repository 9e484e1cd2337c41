/**
 * docs/repository-format.md must be enough to publish by hand. This test runs its "Publishing by
 * hand, step by step" exactly as written: the publisher's shell blocks with bash, where PATH holds
 * only the tools the document names (tar, gzip, sha256sum, gpg and a few coreutils), in a fresh
 * GnuPG home; the box's `bpkg` lines with the built executable. A dependent package is included,
 * and the box installs, upgrades, rolls back and upgrades again.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkg, repoRoot, tempDir } from '../helpers/pkg.js';

const exec = promisify(execFile);
const doc = readFileSync(path.join(repoRoot, 'docs/repository-format.md'), 'utf8');

/** The shell blocks of step N of the walkthrough, in order. */
function step(n: number): string[] {
  const start = doc.indexOf('## Publishing by hand, step by step');
  expect(start, 'the walkthrough section').toBeGreaterThanOrEqual(0);
  const section = doc.slice(start, doc.indexOf('\n## ', start + 3));
  const at = section.indexOf(`\n### ${n}. `);
  expect(at, `step ${n}`).toBeGreaterThanOrEqual(0);
  const next = section.indexOf('\n### ', at + 1);
  const body = section.slice(at, next < 0 ? undefined : next);
  return [...body.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** The tools the document names, and nothing else on PATH. */
const TOOLS = ['tar', 'gzip', 'sha256sum', 'gpg', 'mkdir', 'cat', 'stat', 'date', 'cut', 'grep', 'head'];

let work: string;
let env: NodeJS.ProcessEnv;

async function publisher(script: string): Promise<string> {
  const r = await exec('/bin/bash', ['-euo', 'pipefail', '-c', script], { cwd: work, env });
  return r.stdout;
}

/** Runs the `bpkg` lines of a box block as written, with the document's placeholders filled in. */
async function box(root: string, block: string, fill: Record<string, string>) {
  const out = [];
  for (const raw of block.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/).map((w) => fill[w] ?? w);
    expect(words[0], line).toBe('bpkg');
    const r = await bpkg(root, ['--yes', ...words.slice(1)]);
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    out.push(r);
  }
  return out;
}

beforeAll(async () => {
  work = tempDir('bp-doc-');
  const bin = path.join(work, '.bin');
  mkdirSync(bin);
  for (const t of TOOLS) symlinkSync(path.join('/usr/bin', t), path.join(bin, t));
  const gnupg = path.join(work, '.gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  env = { PATH: bin, HOME: work, GNUPGHOME: gnupg, LC_ALL: 'C' };
});

describe('docs/repository-format.md, followed by hand', () => {
  it('publishes with tar, gzip, sha256sum and gpg only; a box installs, upgrades, rolls back', async () => {
    // Steps 1-3: key, packages, index. One shell: the steps share FPR and SUM.
    const printed = await publisher([...step(1), ...step(2), ...step(3)].join('\n'));
    const fpr = /\b([0-9A-F]{40})\b/.exec(printed)?.[1];
    expect(fpr, printed).toBeDefined();
    const repo = path.join(work, 'repo');
    const fill = { FPR: fpr!, URL: repo, 'publisher.pub.asc': path.join(work, 'publisher.pub.asc') };

    // What the document says about keys: armored only, the whole fingerprint.
    const root = tempDir('bp-root-');
    await exec('/bin/bash', ['-c', `gpg --export ${fpr} > binary.gpg`], { cwd: work, env });
    const binary = await bpkg(root, ['key', 'add', path.join(work, 'binary.gpg'), '--fingerprint', fpr!]);
    expect(binary.code).not.toBe(0);
    expect(binary.stderr).toContain('--armor');
    const short = await bpkg(root, [
      'key',
      'add',
      fill['publisher.pub.asc'],
      '--fingerprint',
      fpr!.slice(-16),
    ]);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('40 hex');

    // Step 4: the box.
    const [boxBlock] = step(4);
    await box(root, boxBlock!, fill);
    const versions = async () =>
      Object.fromEntries(
        (
          JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as Array<{
            name: string;
            version: string;
          }>
        ).map((p) => [p.name, p.version]),
      );
    expect(await versions()).toEqual({ greetdata: '1.0.0', greeter: '1.0.0' });
    const greeting = () =>
      readFileSync(path.join(root, 'opt/blueprint/greetdata/current/greeting.txt'), 'utf8');
    expect(greeting()).toBe('Hello from greetdata\n');
    expect((await bpkg(root, ['verify'])).code).toBe(0);

    // Step 5: a new version, then the box's update, upgrade, rollback, upgrade, line by line.
    const [publish, boxAgain] = step(5);
    await publisher(publish!);
    const lines = boxAgain!.split('\n').filter((l) => l.trim());
    expect(lines.map((l) => l.replace(/#.*$/, '').trim())).toEqual([
      'bpkg update',
      'bpkg upgrade',
      'bpkg rollback greetdata',
      'bpkg upgrade',
    ]);
    const expected = ['1.0.0', '1.1.0', '1.0.0', '1.1.0'];
    for (const [i, line] of lines.entries()) {
      await box(root, line, fill);
      expect(await versions(), line).toEqual({ greetdata: expected[i], greeter: '1.0.0' });
    }
    expect(greeting()).toBe('Hello again from greetdata\n');
    expect((await bpkg(root, ['verify'])).code).toBe(0);
  }, 120_000);
});
