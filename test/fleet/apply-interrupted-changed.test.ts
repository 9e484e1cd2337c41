/**
 * QA20's fleet walk: Ctrl-C (or Ansible's timeout sending SIGINT) during `apply -f` while a module
 * was downloading. The host name, accounts, firewall, key and repository were written by then, and
 * --json's error listed them in `changed`, but its hint, and the text one, said "Nothing was
 * changed; run the command again.". Now an interrupted apply that made changes says they stay and
 * that the same command does the rest; the package itself was not installed. The repository is served
 * over HTTP and holds the package's download, the moment the test sends SIGINT.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyWorkspace, repositoriesSection } from '../helpers/apply-workspace.js';
import { closed, holdingMirror } from '../helpers/holding-mirror.js';
import { blueprintExe, run } from '../helpers/pkg.js';

describe('apply interrupted part-way', () => {
  it.each([['--json'], []])(
    'says what was done stays, and the next apply does the rest (%s)',
    async (...json) => {
      const { repo, root, file, key } = await applyWorkspace('bp-apply-int-');
      const mirror = await holdingMirror(repo, 1);
      try {
        writeFileSync(
          file,
          [
            'hostname: edge-40',
            ...repositoriesSection('main', mirror.url, key),
            'modules: [{ name: good, state: installed }]',
            '',
          ].join('\n'),
        );
        const child = spawn(blueprintExe, ['--root', root, ...json, 'apply', '-f', file], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (err += d));
        mirror.onHeld = () => child.kill('SIGINT');
        expect(await closed(child)).toBe(130);
        expect(readFileSync(path.join(root, 'etc/hostname'), 'utf8')).toBe('edge-40\n');
        const said = json.length ? JSON.parse(out).error : { hint: /^hint: (.*)$/m.exec(err)?.[1] };
        if (json.length) {
          expect(said.code).toBe('interrupted');
          expect(said.changed.map((c: { target: string }) => c.target)).toContain('etc/hostname');
        }
        expect(said.hint).not.toMatch(/Nothing was changed/);
        expect(said.hint).toMatch(/run the same command again/);

        mirror.holdAt = Number.POSITIVE_INFINITY;
        const again = await run(['--root', root, '--json', 'apply', '-f', file]);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).changed.map((c: { target: string }) => c.target)).toContain('good');
      } finally {
        mirror.close();
      }
    },
  );
});
