/**
 * `blueprint setup --answers` (and `apply -f`) with a repository module that asks for outbound
 * network: setup approves none, even under --yes, so the install is refused (exit 4), but the hint
 * was the package manager's, 'Run the install again with --yes to approve outbound network for this
 * module.', which no setup command can follow (`setup --yes` approves nothing). Now the hint says
 * what to do: take it out of the modules, run setup again, and install it approving its hosts with
 * the command, with the --root given. The repository's index does not say a module wants the
 * network (only its manifest does), so the plan cannot refuse it before the install.
 */

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildRepo, makeKey, makeSource, run } from '../helpers/pkg.js';
import { consolePasswordHash } from '../setup/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

const SSH = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';

describe('setup with a module that asks for outbound network', () => {
  it('refused (exit 4) with a hint a setup admin can follow', async () => {
    const work = tempDir('bp-outbound-setup-');
    const key = await makeKey(path.join(work, 'key'));
    const repo = path.join(work, 'repo');
    await buildRepo(repo, key, [
      makeSource(path.join(work, 'src'), {
        name: 'talker',
        version: '1.0.0',
        summary: 'talks to its API',
        files: { 'image.tar': 'not an image' },
        manifestExtra: {
          service: {
            image: { archive: 'image.tar', id: `sha256:${'b'.repeat(64)}` },
            network: 'outbound',
            outbound: ['api.example.org:443'],
            justification: { network: 'talks to its API' },
          },
        },
      }),
    ]);
    const file = path.join(work, 'answers.yaml');
    writeFileSync(
      file,
      [
        'hostname: box-01',
        `admin: { name: ops, keys: ["${SSH}"], passwordHash: "${consolePasswordHash()}" }`,
        `repository: { name: main, url: "${pathToFileURL(repo).href}", key: "${key.publicFile}", fingerprint: "${key.fingerprint}" }`,
        'modules: [talker]',
      ].join('\n'),
    );
    const root = path.join(work, 'box');
    const r = await run(['--root', root, 'setup', '--answers', file]);
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toContain('error: talker asks for outbound network access to api.example.org:443');
    expect(r.stderr).not.toContain('Run the install again with --yes');
    expect(r.stderr).toContain('take talker out of the modules');
    expect(r.stderr).toContain(`\`bpkg --root ${root} install --yes talker\``);
  });
});
