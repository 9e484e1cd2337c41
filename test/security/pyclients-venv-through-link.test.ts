/**
 * REVIEW17, attack on REVIEW16's fb00a61e (test/clients/python-venv.ts venvPython refuses a link at
 * the venv's name, node_modules/.cache/pyclients). The folders above it were not looked at: with
 * node_modules/.cache (or node_modules) a link to a folder holding pyclients/ with a matching
 * installed-requirements.txt and a bin/python of its own, venvPython returned that python and
 * test/clients ran it (as root on this machine and in CI). scripts/setup-pyclients.sh refuses such a
 * link, but only when setup-host runs again: one planted after it was taken. Now venvPython refuses
 * a link anywhere from the checkout down to the venv, naming it and the rm to run.
 */

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { venvPython } from '../clients/python-venv.js';
import { tempDir } from '../setup/temp-registry.js';

const REQUIREMENTS = resolve(import.meta.dirname, '../clients/requirements.txt');

/** A folder holding `below`/pyclients, a venv to look at whose python leaves `marker` when run. */
function planted(below: string, marker: string): string {
  const dir = tempDir('review17-planted-');
  const venv = join(dir, below, 'pyclients');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  copyFileSync(REQUIREMENTS, join(venv, 'installed-requirements.txt'));
  writeFileSync(join(venv, 'bin/python'), `#!/bin/sh\ntouch ${marker}\n`);
  chmodSync(join(venv, 'bin/python'), 0o755);
  return dir;
}

describe("test/clients' venv is never taken through a link above it", () => {
  for (const linked of ['node_modules', 'node_modules/.cache'])
    it(`${linked} a link: refused, named, its python never run`, () => {
      const root = tempDir('review17-checkout-');
      const marker = join(tempDir('review17-marker-'), 'ran');
      const target = planted(linked === 'node_modules' ? '.cache' : '', marker);
      if (linked === 'node_modules/.cache') mkdirSync(join(root, 'node_modules'));
      symlinkSync(target, join(root, linked));
      const venv = join(root, 'node_modules/.cache/pyclients');
      let refused: unknown;
      try {
        spawnSync(venvPython(venv, root)); // what test/clients does with it
      } catch (err) {
        refused = err;
      }
      expect(existsSync(marker)).toBe(false);
      expect(String(refused)).toContain(`${join(root, linked)} is a link`);
      expect(String(refused)).toContain(`rm ${join(root, linked)}`);
    });

  it('real folders down to a made venv: its python', () => {
    const root = tempDir('review17-checkout-');
    const venv = join(root, 'node_modules/.cache/pyclients');
    mkdirSync(join(venv, 'bin'), { recursive: true });
    copyFileSync(REQUIREMENTS, join(venv, 'installed-requirements.txt'));
    writeFileSync(join(venv, 'bin/python'), '');
    expect(venvPython(venv, root)).toBe(join(venv, 'bin/python'));
  });
});
