/**
 * Ctrl-C while `bpkg install` loads a module's image or commits (seen on the demo box: SIGINT 0.9 s
 * into `pkg install embeddings`): nothing checks the signal once the package is unpacked, so the
 * install went on and ended 'installed embeddings 0.1.0', exit 0, with no word that the Ctrl-C was
 * seen: the admin could not tell whether it stopped. The change still completes (the state is the
 * new one, whole; crash-safety accepts 0 here), and now says so on stderr. The signal comes from
 * the transaction's test hook (BLUEPRINT_FAULT_INJECT=sigint:POINT), not from a timer.
 */
import { describe, expect, it } from 'vitest';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('Ctrl-C once the package is unpacked', () => {
  it('finishes it and says so, for install and remove', async () => {
    const { key, repo } = await signedRepo([{ name: 'hello-data', version: '1.0.0' }]);
    const root = await trustingRoot(key, repo);
    const env = { BLUEPRINT_FAULT_INJECT: 'sigint:staged' };
    const r = await bpkg(root, ['--yes', 'install', 'hello-data'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('installed hello-data 1.0.0');
    expect(r.stderr).toContain('warning: interrupted while the change was being made: it was completed');
    const list = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as { name: string }[];
    expect(list.map((p) => p.name)).toEqual(['hello-data']);
    expect((await bpkg(root, ['verify'])).code).toBe(0);

    const gone = await bpkg(root, ['--yes', 'remove', 'hello-data'], env);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stderr).toContain('warning: interrupted while the change was being made: it was completed');
    expect(JSON.parse((await bpkg(root, ['--json', 'list'])).stdout)).toEqual([]);

    // Without the signal: nothing said.
    const plain = await bpkg(root, ['--yes', 'install', 'hello-data']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toContain('interrupted');
  });
});
