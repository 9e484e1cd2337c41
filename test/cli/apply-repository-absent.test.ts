/**
 * A fleet takes a repository off its boxes the way it takes a module off: `state: absent` in the
 * description's `repositories:` (QA11's note: before, only `bpkg repo remove NAME`, an imperative
 * step beside the declarative file, was documented). The plan says it deletes the repository,
 * apply removes it and stops letting its host out, the module installed from it stays (said, as
 * `bpkg repo remove` says it), and applying the file again changes nothing. An absent entry names
 * the repository alone. The real executable.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWorkspace, repositoriesSection } from '../helpers/apply-workspace.js';
import { bpkg, run } from '../helpers/pkg.js';

const EXTRA = 'https://extra.example.org/modules';

interface Change {
  kind: string;
  action: string;
  target: string;
  detail?: string;
}

describe('apply: a repository with state: absent', () => {
  it('is removed, its host no longer let out, the module from it kept; again: no change', async () => {
    const { root, file, repo, key } = await applyWorkspace('bp-apply-repo-absent-');
    const describe = (extra: string[]) =>
      writeFileSync(
        file,
        ['hostname: edge-40', ...repositoriesSection('extra', `file://${repo}`, key), ...extra, ''].join(
          '\n',
        ),
      );
    const apply = (...more: string[]) => run(['--root', root, '--json', 'apply', '-f', file, ...more]);

    // The box has the repository (and a module from it) and a second one served over HTTPS.
    describe([
      '  - name: far',
      `    url: ${EXTRA}`,
      `    key: ${key.publicFile}`,
      `    fingerprint: "${key.fingerprint}"`,
      'modules: [{ name: good, state: installed }]',
    ]);
    const first = await apply();
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(path.join(root, 'etc/nftables.conf'), 'utf8')).toMatch(/tcp dport 443 /);

    // Now both are said absent: the plan deletes both, nothing else.
    writeFileSync(
      file,
      [
        'hostname: edge-40',
        'repositories:',
        '  - { name: extra, state: absent }',
        '  - name: far',
        '    state: absent',
        'modules: [{ name: good, state: installed }]',
        '',
      ].join('\n'),
    );
    const dry = await apply('--dry-run');
    expect(dry.code, dry.stderr).toBe(0);
    const planned = (JSON.parse(dry.stdout).changes as Change[]).filter((c) => c.kind === 'repository');
    expect(planned).toEqual([
      expect.objectContaining({ action: 'delete', target: 'extra', detail: expect.stringContaining('good') }),
      expect.objectContaining({ action: 'delete', target: 'far' }),
    ]);
    expect(
      JSON.parse(dry.stdout).egress.filter((d: { purpose: string }) => d.purpose === 'repositories'),
    ).toEqual([]);

    const r = await apply();
    expect(r.code, r.stderr).toBe(0);
    const repos = JSON.parse((await bpkg(root, ['--json', 'repo', 'list'])).stdout) as { name: string }[];
    expect(repos.map((x) => x.name)).toEqual([]);
    expect(readFileSync(path.join(root, 'etc/nftables.conf'), 'utf8')).not.toMatch(/tcp dport 443 /);
    const installed = JSON.parse((await bpkg(root, ['--json', 'list'])).stdout) as { name: string }[];
    expect(installed.map((p) => p.name)).toEqual(['good']);

    const again = await apply('--dry-run');
    expect(again.code, again.stderr).toBe(0);
    const left = (JSON.parse(again.stdout).changes as Change[]).filter((c) => c.action !== 'unchanged');
    expect(left).toEqual([]);
  });

  it('names the repository alone: a URL or key beside state: absent is refused, said why', async () => {
    const { root, file, repo } = await applyWorkspace('bp-apply-repo-absent-fields-');
    writeFileSync(
      file,
      [
        'hostname: edge-41',
        'repositories:',
        `  - { name: main, state: absent, url: "file://${repo}" }`,
        '',
      ].join('\n'),
    );
    const r = await run(['--root', root, 'apply', '-f', file, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/repositories\.0.*state: absent.*only its name/);
  });
});
