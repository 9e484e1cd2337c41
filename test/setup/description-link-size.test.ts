/**
 * apply -f / setup --answers naming a description through a symlink, and a description too large.
 * A relative `key:` is read beside the description as named (the link), as Ansible reads a relative
 * path in a symlinked file beside the link: the key read is the one the admin sees next to the path
 * they gave. When it is not there, the error named only the link's side; it now names both paths:
 * where it was looked up and the file the link points to. A description over 1 MiB was refused with
 * 'larger than 1024 KiB' and the hint 'Check the path of the description': it now says the limit.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeKey, run, tempDir } from '../helpers/pkg.js';
import { sshPublicKey } from './helpers.js';

type ErrorDoc = { error: { message: string; hint: string } };

describe('a description reached through a symlink', () => {
  it('its relative key is read beside the link; missing there, both paths are named', async () => {
    const work = tempDir('bp-desc-link-');
    const key = await makeKey(path.join(work, 'signing'));
    const real = path.join(work, 'groups/edge');
    const linked = path.join(work, 'fleet');
    mkdirSync(path.join(real, 'keys'), { recursive: true });
    mkdirSync(linked, { recursive: true });
    copyFileSync(key.publicFile, path.join(real, 'keys/main.asc'));
    writeFileSync(
      path.join(real, 'appliance.yaml'),
      [
        'hostname: edge-9',
        'repositories:',
        '  - name: main',
        '    url: https://repo.example.org/bp',
        '    key: keys/main.asc',
        `    fingerprint: "${key.fingerprint}"`,
        '',
      ].join('\n'),
    );
    const link = path.join(linked, 'appliance.yaml');
    symlinkSync(path.join(real, 'appliance.yaml'), link);
    const root = path.join(work, 'root');

    const missing = await run(['--root', root, '--json', 'apply', '-f', link, '--dry-run']);
    expect(missing.code, missing.stderr).toBe(2);
    const { error } = JSON.parse(missing.stdout) as ErrorDoc;
    expect(error.message).toContain(`cannot read key file ${path.join(linked, 'keys/main.asc')}`);
    expect(error.message).toContain(path.join(real, 'appliance.yaml'));
    expect(error.hint).toContain(linked);

    // setup --answers reads its relative key the same way.
    writeFileSync(
      path.join(real, 'answers.yaml'),
      [
        'hostname: box-01',
        'ssh: { enabled: true }',
        `admin: { name: ops, keys: ["${sshPublicKey('ops@laptop')}"] }`,
        `repository: { name: main, url: "https://repo.example.org/bp", key: keys/main.asc, fingerprint: "${key.fingerprint}" }`,
        '',
      ].join('\n'),
    );
    symlinkSync(path.join(real, 'answers.yaml'), path.join(linked, 'answers.yaml'));
    const answers = await run([
      '--root',
      root,
      '--json',
      'setup',
      '--answers',
      path.join(linked, 'answers.yaml'),
    ]);
    expect(answers.code, answers.stdout + answers.stderr).toBe(2);
    expect((JSON.parse(answers.stdout) as ErrorDoc).error.message).toContain(path.join(real, 'answers.yaml'));

    // Beside the link: read, the plan made.
    mkdirSync(path.join(linked, 'keys'));
    copyFileSync(key.publicFile, path.join(linked, 'keys/main.asc'));
    const ok = await run(['--root', root, '--json', 'apply', '-f', link, '--dry-run']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  }, 60_000);
});

describe('a description over 1 MiB', () => {
  it('is refused saying it is too large and the limit', async () => {
    const work = tempDir('bp-desc-big-');
    const file = path.join(work, 'appliance.yaml');
    writeFileSync(file, `hostname: edge-1\n#${'x'.repeat(1024 * 1024)}\n`);
    const r = await run(['--root', path.join(work, 'root'), '--json', 'apply', '-f', file]);
    expect(r.code).toBe(2);
    const { error } = JSON.parse(r.stdout) as ErrorDoc;
    expect(error.message).toContain(`${file} is too large`);
    expect(error.message).toContain('1 MiB');
    expect(error.hint).toContain('at most 1 MiB');
    expect(error.hint).not.toContain('Check the path');
  });
});
