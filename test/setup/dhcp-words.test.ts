/**
 * What the plan says of the DHCP drop-in (QA14's walk): 'DHCP gives addresses, not servers' on
 * every box, while with no DNS servers chosen (the wizard's default, 'empty: from DHCP') the file
 * leaves DHCP's DNS servers in use: only time servers are refused. It now says which.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { requireExe } from '../tui/tmux.js';
import { consolePasswordHash, sshPublicKey } from './helpers.js';

const t = rootsPerTest('dhcp-words');
const key = sshPublicKey('ops@laptop');
const DROP_IN = 'etc/systemd/network/80-blueprint-dhcp.network.d/60-blueprint.conf';

it.each([
  ['', 'DHCP gives addresses and DNS servers, not time servers', false],
  ['network: { dns: { servers: ["9.9.9.9"] } }\n', 'DHCP gives addresses, not DNS or time servers', true],
])('answers %j: the plan says %s', async (network, words, noDns) => {
  requireExe();
  const file = path.join(t.work, 'answers.yaml');
  await writeFile(
    file,
    `hostname: box-06\nadmin: { name: ops, keys: ["${key}"], passwordHash: "${consolePasswordHash()}" }\n${network}`,
  );
  const r = await run(['--root', t.root, '--json', 'setup', '--answers', file]);
  expect(r.code, r.stderr).toBe(0);
  const change = JSON.parse(r.stdout).changed.find((c: { target: string }) => c.target === DROP_IN);
  expect(change.what).toBe(words);
  // What the words say is what the file does.
  expect((await readFile(path.join(t.root, DROP_IN), 'utf8')).includes('UseDNS=no')).toBe(noDns);
});
