/**
 * The hints of a repository's keys named their command outside backticks, so after `--root DIR` it
 * was shown without the --root (pasted, it acted on the live box), and with placeholders where the
 * value was known: `bpkg repo add main URL --key FPR` with FPR not trusted said 'Trust it first: bpkg
 * key add FILE --fingerprint FPR', not the fingerprint given; `repo set-key main` with no key said
 * 'Example: bpkg repo set-key main FPR'. Found by engineer UX; each now in backticks with the
 * --root typed and the fingerprint the admin gave.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../helpers/cli-here.js';
import { tempDir } from '../setup/temp-registry.js';

const FPR = 'ab'.repeat(20);

describe('repository key hints carry the typed --root and the fingerprint given', () => {
  it('repo add with a key not trusted', async () => {
    const root = tempDir('bp-msg-root-repo-key-');
    const repo = path.join(tempDir('bp-msg-root-repo-'), 'r');
    mkdirSync(repo);
    const r = await runCliHere(['--root', root, 'pkg', 'repo', 'add', 'main', repo, '--key', FPR]);
    expect(r.code).toBe(3);
    const hint = /^hint: (.*)$/m.exec(r.err)?.[1] ?? '';
    expect(hint).toMatch(new RegExp(`\`bpkg --root ${root} key add FILE --fingerprint ${FPR}\``, 'i'));
  });

  it('repo set-key with no key named', async () => {
    const root = tempDir('bp-msg-root-set-key-');
    const repo = path.join(tempDir('bp-msg-root-repo-'), 'r');
    mkdirSync(repo);
    const added = await runCliHere(['--root', root, 'pkg', 'repo', 'add', 'main', repo]);
    expect(added.code, added.err).toBe(0);
    const r = await runCliHere(['--root', root, 'pkg', 'repo', 'set-key', 'main']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`\`bpkg --root ${root} repo set-key main FPR\``);
  });
});
