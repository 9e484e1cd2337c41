/**
 * Issue 19: `bpkg --json install` of a module that asks for outbound network, without --yes, is
 * refused with the module and the hosts it declares in the JSON error, for a script to show or
 * approve; nothing is installed. Through the built executable.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { HOSTS, outboundRepo } from '../helpers/outbound-module.js';
import { bpkg } from '../helpers/pkg.js';
import { uniqueName } from '../services/helpers.js';
import { tempRoot } from '../setup/helpers.js';

let root: string;
let work: string;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  const a = await tempRoot('json-out-root');
  const b = await tempRoot('json-out-work');
  root = a.root;
  work = b.root;
  cleanups.push(a.cleanup, b.cleanup);
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

it.skipIf(!existsSync('dist/blueprint'))('--json names the module and the hosts to approve', async () => {
  const name = uniqueName('bpt-json-out');
  await outboundRepo(root, work, name);
  const r = await bpkg(root, ['--json', 'install', name]);
  expect(r.code).toBe(4);
  expect(JSON.parse(r.stdout).error).toMatchObject({
    code: 'network-not-approved',
    module: name,
    hosts: HOSTS,
  });
  expect(
    await readFile(path.join(root, 'var/lib/blueprint/pkg/installed.json'), 'utf8').catch(() => ''),
  ).not.toContain(name);
});
