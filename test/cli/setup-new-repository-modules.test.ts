/**
 * `blueprint setup --answers` and `blueprint apply -f` with a repository the box does not have yet
 * and modules from it: a module name the repository does not offer (a typo) was not judged by the
 * plan ('may offer anything'), so setup wrote the accounts, the firewall, SSH, the key and the
 * repository, then failed at the install (exit 3) and left a half set-up box, although its --help
 * says bad answers fail with the field named before anything is written (exit 2). A repository
 * whose index cannot be fetched did the same, and its failure was not said at all ('No package
 * good in the verified indexes'). Now both are refused by the plan, naming the field, and nothing
 * is written. The real executable, as a user runs it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GOOD, run, signedRepo } from '../helpers/pkg.js';
import { consolePasswordHash } from '../setup/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';

async function answers(module: string, url?: string) {
  const { key, repo } = await signedRepo([GOOD]);
  const work = tempDir('bp-newrepo-');
  const file = path.join(work, 'answers.yaml');
  writeFileSync(
    file,
    [
      'hostname: box-01',
      `admin: { name: ops, keys: ["${SSH}"], passwordHash: "${consolePasswordHash()}" }`,
      `repository: { name: main, url: "${url ?? pathToFileURL(repo).href}", key: "${key.publicFile}", fingerprint: "${key.fingerprint}" }`,
      `modules: [${module}]`,
    ].join('\n'),
  );
  return file;
}

describe('modules from a repository the answers bring', () => {
  it('a name that repository does not offer: exit 2, the field named, nothing written', async () => {
    const file = await answers('goood');
    const root = path.join(tempDir('bp-newrepo-root-'), 'box');
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('modules.0.name: "goood"');
    expect(r.stderr).toContain('(did you mean good?)');
    expect(r.stderr).not.toContain('+ create');
    expect(existsSync(root)).toBe(false);
    const j = await run(['--root', root, '--json', 'setup', '--answers', file]);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error.message).toContain('modules.0.name: "goood"');
    expect(existsSync(root)).toBe(false);
  });

  it('a repository whose index cannot be fetched: refused, its failure said, nothing written', async () => {
    const gone = path.join(tempDir('bp-newrepo-gone-'), 'repo');
    const file = await answers('good', pathToFileURL(gone).href);
    const root = path.join(tempDir('bp-newrepo-root-'), 'box');
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toContain('repository main');
    expect(r.stderr).toContain(`${gone}/index.json not found`);
    expect(r.stderr).not.toContain('+ create');
    expect(existsSync(root)).toBe(false);
  });

  it('a name it offers: installed (the plan fetched its index in a scratch box, not in the root)', async () => {
    const file = await answers('good');
    const root = path.join(tempDir('bp-newrepo-root-'), 'box');
    const dry = await run(['--root', root, '--json', 'setup', '--dry-run', '--answers', file]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(existsSync(root)).toBe(false);
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(root, 'var/lib/blueprint/setup-done'))).toBe(true);
    const list = await run(['--root', root, '--json', 'pkg', 'list']);
    expect(JSON.parse(list.stdout).map((p: { name: string }) => p.name)).toEqual(['good']);
  });

  it('no temporary folder to fetch into (TMPDIR gone): not judged, as before, and no crash', async () => {
    const file = await answers('good');
    const root = path.join(tempDir('bp-newrepo-root-'), 'box');
    const env = { PATH: '/usr/bin:/bin', TMPDIR: path.join(tempDir('bp-newrepo-tmp-'), 'gone') };
    const r = await run(['--root', root, 'setup', '--dry-run', '--answers', file], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('This is a bug');
    expect(r.stdout).toContain('package    good');
  });
});
