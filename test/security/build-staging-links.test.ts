/**
 * A build removes what an interrupted one left in dist/ (scripts/build-swap.mjs removeStaged: the
 * bundle being written, dist/.bundle.tmp, and one being replaced, dist/.bundle.old) before it
 * writes. Guard (REVIEW12, found sound): a symbolic link at either name is removed as a link; the
 * folder it points at, and its files, stay.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { removeStaged } from '../../scripts/build-swap.mjs';

describe("the build's removal of an interrupted build's staging", () => {
  it('removes links at dist/.bundle.tmp and dist/.bundle.old as links', () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'bp-staging-links-'));
    const target = path.join(base, 'elsewhere');
    const dist = path.join(base, 'dist');
    mkdirSync(target);
    mkdirSync(dist);
    writeFileSync(path.join(target, 'keep'), 'not the build’s');
    symlinkSync(target, path.join(dist, '.bundle.tmp'));
    symlinkSync(target, path.join(dist, '.bundle.old'));
    (removeStaged as (dist: string, name: string) => void)(dist, 'bundle');
    expect(readdirSync(dist)).toEqual([]);
    expect(existsSync(path.join(target, 'keep'))).toBe(true);
  });
});
