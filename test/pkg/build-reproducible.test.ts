/**
 * `blueprint repo build` of an unchanged source gave a package of another SHA-256 every time (QA6's
 * walk): the payload's copy got the build's time as every file's mtime, and entries came in the
 * order the disk listed them. A mirror or box one index behind then read "SHA-256 differs", and a
 * changed package could not be told from a rebuilt one. The same source now gives the same bytes:
 * entries sorted, every mtime SOURCE_DATE_EPOCH when set (reproducible-builds.org), else 0.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { list } from 'tar';
import { afterEach, describe, expect, it } from 'vitest';
import { buildPackage } from '../../src/core/pkg/build.js';
import { makeSource, tempDir } from '../helpers/pkg.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function entries(file: string): Promise<{ path: string; mtime: number | undefined }[]> {
  const out: { path: string; mtime: number | undefined }[] = [];
  await list({ file, onReadEntry: (e) => out.push({ path: e.path, mtime: e.mtime?.getTime() }) });
  return out;
}

const saved = process.env.SOURCE_DATE_EPOCH;
afterEach(() => {
  if (saved === undefined) delete process.env.SOURCE_DATE_EPOCH;
  else process.env.SOURCE_DATE_EPOCH = saved;
});

describe('buildPackage is reproducible', () => {
  it('the same source built twice, its files touched between: the same SHA-256', async () => {
    delete process.env.SOURCE_DATE_EPOCH;
    // Written in an order other than the sorted one.
    const src = makeSource(tempDir(), {
      name: 'same',
      version: '1.0.0',
      files: { 'z/last': 'z\n', 'a/first': 'a\n', 'm/b': 'b\n', 'm/a': 'a\n', 'bin/tool': '#!/bin/sh\n' },
    });
    const one = await buildPackage(src, tempDir());
    // A checkout later, or another machine's: other mtimes on every file.
    for (const f of ['z/last', 'a/first', 'm/b', 'm/a', 'bin/tool'])
      utimesSync(path.join(src, 'payload', f), new Date(2030, 1, 1), new Date(2030, 1, 1));
    utimesSync(path.join(src, 'manifest.json'), new Date(2031, 1, 1), new Date(2031, 1, 1));
    await new Promise((r) => setTimeout(r, 1100)); // the copy's own mtimes a second later
    const two = await buildPackage(src, tempDir());
    expect(sha(two.file)).toBe(sha(one.file));

    const listed = await entries(one.file);
    const names = listed.map((e) => e.path);
    expect(names[0]).toBe('manifest.json');
    expect(names.slice(1)).toEqual([...names.slice(1)].sort());
    for (const e of listed.filter((x) => !x.path.endsWith('/'))) expect(e.mtime ?? 0).toBe(0);
    // The gzip header: no time (bytes 4-7), no builder's OS (byte 9: 255, unknown).
    const head = readFileSync(one.file).subarray(0, 10);
    expect([...head.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(head[9]).toBe(255);
  });

  it('SOURCE_DATE_EPOCH that is not a number: refused before anything is built', async () => {
    process.env.SOURCE_DATE_EPOCH = 'yesterday';
    const { buildRepository } = await import('../../src/core/pkg/build.js');
    const { makeKey } = await import('../helpers/pkg.js');
    const key = await makeKey(path.join(tempDir(), 'key'));
    const src = makeSource(tempDir(), { name: 'bad', version: '1.0.0' });
    const repoDir = path.join(tempDir(), 'repo');
    const err = await buildRepository({
      sources: [src],
      repoDir,
      signer: { keyFile: key.privateFile },
    }).catch((e) => e);
    expect(err.message).toContain('SOURCE_DATE_EPOCH is "yesterday"');
    expect(existsSync(repoDir)).toBe(false);
  });

  it('SOURCE_DATE_EPOCH set: every file has that mtime, and the bytes are the same again', async () => {
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    const src = makeSource(tempDir(), { name: 'dated', version: '1.0.0' });
    const one = await buildPackage(src, tempDir());
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'dated 1.0.0\n'); // same text, new mtime
    const two = await buildPackage(src, tempDir());
    expect(sha(two.file)).toBe(sha(one.file));
    for (const e of (await entries(one.file)).filter((x) => !x.path.endsWith('/')))
      expect(e.mtime).toBe(1_700_000_000_000);
  });

  it('a changed payload gives other bytes', async () => {
    delete process.env.SOURCE_DATE_EPOCH;
    const src = makeSource(tempDir(), { name: 'changed', version: '1.0.0' });
    const one = await buildPackage(src, tempDir());
    writeFileSync(path.join(src, 'payload', 'share', 'README'), 'changed\n');
    const two = await buildPackage(src, tempDir());
    expect(sha(two.file)).not.toBe(sha(one.file));
  });
});
