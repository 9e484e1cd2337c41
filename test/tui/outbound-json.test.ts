/**
 * Issue 19: `bpkg --json install` of a module that asks for outbound network, without --yes, is
 * refused with the module and the hosts it declares in the JSON error, for a script to show or
 * approve; nothing is installed. Through the built executable.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { HOSTS, outboundRepo } from '../helpers/outbound-module.js';
import { bpkg } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { uniqueName } from '../services/helpers.js';

const t = rootsPerTest('json-out');

it.skipIf(!existsSync('dist/blueprint'))('--json names the module and the hosts to approve', async () => {
  const name = uniqueName('bpt-json-out');
  await outboundRepo(t.root, t.work, name);
  const r = await bpkg(t.root, ['--json', 'install', name]);
  expect(r.code).toBe(4);
  expect(JSON.parse(r.stdout).error).toMatchObject({
    code: 'network-not-approved',
    module: name,
    hosts: HOSTS,
  });
  expect(
    await readFile(path.join(t.root, 'var/lib/blueprint/pkg/installed.json'), 'utf8').catch(() => ''),
  ).not.toContain(name);
});
