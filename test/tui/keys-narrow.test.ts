/**
 * CONSOLE3's walk at 40×12: the Keys screen squeezed a key's spaced fingerprint (50 columns), what
 * it signs for and its signer into 38: 12 of its 40 digits shown, and the two command lines under
 * the list (a footer its height did not count) were painted over the table's header and over each
 * other (`Remove: \`bpkg --root ey FPR\``). Now a narrow screen lists the key ID (the last 16
 * digits) and what it signs for, Enter shows the whole fingerprint (at every width), and the command
 * lines are the list's counted notes. dist/blueprint in tmux, a real OpenPGP key trusted.
 */
import path from 'node:path';
import { beforeEach, expect, it } from 'vitest';
import { makeKey } from '../helpers/pkg.js';
import { rootsPerTest } from '../helpers/roots.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

const t = rootsPerTest('keysnarrow');
beforeEach(() => requireExe());

it('40×12: the whole fingerprint of a trusted key', async () => {
  const key = await makeKey(path.join(t.work, 'key'), { name: 'Fleet Repo' });
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  await new PackageManager({ root: t.root }).keyring.add(key.publicKey, key.fingerprint);
  const p = new Pane([exe, '--root', t.root], { width: 40, height: 12 });
  t.defer(async () => p.kill());
  await p.waitFor('Host');
  p.keys('4');
  const s = await p.waitFor('Trusted signing keys (1)');
  await keepScreen('keys-40', s);
  const fpr = key.fingerprint.toUpperCase();
  const rows = s.split('\n');
  expect(rows[2]).toMatch(/Key ID +Signs for/);
  expect(s).toContain(`> ${fpr.slice(-16).replace(/(.{4})(?=.)/g, '$1 ')} none`);
  // The notes in their own rows, in order, under the list (this root's long path: cut at the end).
  expect(rows[4]).toContain('Enter: whole fingerprint, signer');
  expect(rows[5]).toContain('Add: `bpkg --root');
  expect(rows[11]).toContain('q back');
  p.keys('Enter');
  const d = await p.waitFor('Signer:');
  await keepScreen('keys-40-key', d);
  expect(d.replace(/\s+/g, '')).toContain(fpr);
  expect(d).toContain('Signer: Fleet Repo');
  p.keys('q');
  await p.waitFor('Trusted signing keys (1)');
}, 60_000);

it('120×40: fingerprint, signs for and signer in their columns', async () => {
  const key = await makeKey(path.join(t.work, 'key'), { name: 'Fleet Repo' });
  const { PackageManager } = await import('../../src/core/pkg/index.js');
  await new PackageManager({ root: t.root }).keyring.add(key.publicKey, key.fingerprint);
  const p = new Pane([exe, '--root', t.root], { width: 120, height: 40 });
  t.defer(async () => p.kill());
  await p.waitFor('Host');
  p.keys('4');
  const s = await p.waitFor('Trusted signing keys (1)');
  const spaced = key.fingerprint.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
  expect(s).toMatch(new RegExp(`> ${spaced} +none +Fleet Repo`));
}, 60_000);
