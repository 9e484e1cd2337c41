/**
 * The `--root` contract (tree-owner.ts: act only on a tree no user but root, or the runner, can
 * change) was judged in the CLI's entry only: the console and the web dashboard open the box with
 * `openBox(root)` and called its operations on another user's tree with no judgement, so a link
 * mallory put at installed.json was read as the tree's package database (a host file's packages
 * listed) and the package and service operations acted there. Now `openBox` judges it for every
 * front end: an operation that reads or changes the box's state is refused `unsafe-root` (the CLI's
 * words), and what reads any tree (`status`, the system and egress facts, `gpu`) still answers. Run
 * as root (the tests' user): the tree is given to uid 1000.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { tempDir } from '../helpers/pkg.js';

/** A tree uid 1000 owns, whose installed.json is a link to a host file of one package, `hostsecret`. */
function mallorysTree(): string {
  const host = path.join(tempDir('bp-host-'), 'secret.json');
  const pkg = { version: '1.0.0', arch: 'all', summary: 'host', depends: [], origin: 'file', signer: 'x' };
  const packages = { hostsecret: { name: 'hostsecret', installed: '2026-01-01T00:00:00Z', ...pkg } };
  writeFileSync(host, JSON.stringify({ format: 1, txid: 'x', packages }));
  const root = path.join(tempDir('bp-tree-'), 'tree');
  mkdirSync(path.join(root, 'var/lib/blueprint/pkg'), { recursive: true });
  symlinkSync(host, path.join(root, 'var/lib/blueprint/pkg/installed.json'));
  expect(spawnSync('chown', ['-R', '-h', '1000:1000', root]).status).toBe(0);
  return root;
}

const refusal = (p: Promise<unknown>): Promise<{ answered?: unknown; code?: string; message?: string }> =>
  p.then(
    (v) => ({ answered: v }),
    (err: { code?: string; message?: string; hint?: string }) => ({ code: err.code, message: err.message }),
  );

describe("openBox on a tree another user can change (the console's and the dashboard's box)", () => {
  it('refuses its package, service and audit operations with the CLI’s unsafe-root', async () => {
    const root = mallorysTree();
    const box = openBox(root);
    for (const op of [() => box.packages.list(), () => box.services.list(), () => box.audit.network()]) {
      const r = await refusal(op());
      expect(JSON.stringify(r)).not.toContain('hostsecret');
      expect(r).toMatchObject({ code: 'unsafe-root' });
      expect(r.message).toContain(`another user can change ${root}`);
      expect(r.message).toContain(`--root ${root} is not acted on`);
    }
  });

  it('still reads it where the CLI does (status)', async () => {
    const root = mallorysTree();
    const status = await openBox(root).status();
    expect(JSON.stringify(status)).not.toContain('hostsecret');
  });
});
