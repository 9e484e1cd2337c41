/**
 * `bpkg info NAME` said 'Size: 41563 bytes', where every other size the CLI prints (`bpkg clean`,
 * the download bar, the install plan) is in KiB/MiB through src/present/units.ts. It now says the
 * size that way; --json keeps the exact bytes. The real executable.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bytes } from '../../src/present/units.js';
import { bpkg, signedRepo, trustingRoot } from '../helpers/pkg.js';

describe('bpkg info sizes', () => {
  it('shows the size in binary units, and the exact bytes in --json', async () => {
    // Random bytes do not compress: the package is some 40 KiB.
    const { key, repo } = await signedRepo([
      { name: 'big', version: '1.0.0', files: { 'share/blob': randomBytes(40 * 1024) } },
    ]);
    const root = await trustingRoot(key, repo);
    const json = await bpkg(root, ['--json', 'info', 'big']);
    expect(json.code, json.stderr).toBe(0);
    const size: number = JSON.parse(json.stdout).available[0].size;
    expect(size).toBeGreaterThan(40 * 1024);
    const r = await bpkg(root, ['info', 'big']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Size: ${bytes(size)}\n`);
    expect(r.stdout).toMatch(/Size: \d+ KiB\n/);
    expect(r.stdout).not.toContain(`${size}`);
  });
});
