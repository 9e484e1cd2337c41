import { chmodSync, chownSync, mkdirSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  otherWriter,
  otherWriterAtOrAbove,
  otherWriterOnTheWay,
  type WriterAllowances,
} from '../../src/core/system/folder-writers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * The one judgement of who else could change a folder (safe-write, publish-folders, keygen, the
 * console's code cache, the dashboard's run folder): each allowance grants exactly what it says.
 */

const me = process.geteuid?.() ?? 0;
const myGroup = process.getegid?.() ?? 0;
const OTHER = 65534;
const none: WriterAllowances = { stickyIsFine: false, ownGroupIsFine: false };
const all: WriterAllowances = { stickyIsFine: true, ownGroupIsFine: true };
const folder = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o040000 | mode });

describe('otherWriter', () => {
  it('root’s or ours, written by no one else: no one', () => {
    for (const allow of [none, all]) {
      expect(otherWriter(folder(0, 0, 0o755), allow)).toBeUndefined();
      expect(otherWriter(folder(me, myGroup, 0o700), allow)).toBeUndefined();
    }
  });

  it('another owner is named whatever the mode and allowances', () => {
    for (const allow of [none, all])
      expect(otherWriter(folder(OTHER, OTHER, 0o1700), allow)).toBe(`owned by uid ${OTHER}`);
  });

  it('writable by all: refused unless sticky and sticky is allowed', () => {
    expect(otherWriter(folder(0, 0, 0o777), all)).toBe('writable by all users');
    expect(otherWriter(folder(0, 0, 0o1777), none)).toBe('writable by all users');
    expect(otherWriter(folder(0, 0, 0o1777), { ...none, stickyIsFine: true })).toBeUndefined();
  });

  it('writable by a group: only our own, and only when allowed', () => {
    const ownGroup = { ...none, ownGroupIsFine: true };
    expect(otherWriter(folder(me, myGroup, 0o775), none)).toBe(`writable by group ${myGroup}`);
    expect(otherWriter(folder(me, myGroup, 0o775), ownGroup)).toBeUndefined();
    const theirs = myGroup === OTHER ? OTHER - 1 : OTHER;
    expect(otherWriter(folder(me, theirs, 0o775), ownGroup)).toBe(`writable by group ${theirs}`);
  });
});

describe('otherWriterOnTheWay and otherWriterAtOrAbove', () => {
  const tree = () => {
    const base = realpathSync(tempDir());
    const open = path.join(base, 'open');
    const inner = path.join(open, 'inner');
    mkdirSync(inner, { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    return { open, inner };
  };

  it('names the first folder on the way up that someone else could change', async () => {
    const { open, inner } = tree();
    expect(await otherWriterOnTheWay(inner, none)).toEqual({ at: open, who: 'writable by all users' });
  });

  it('judges the folder with its own allowances and the ones above with theirs', async () => {
    const { open, inner } = tree();
    chmodSync(open, 0o1777);
    const st = { uid: me, gid: myGroup, mode: 0o041777 };
    const sticky = { ...none, stickyIsFine: true };
    // The folder itself sticky but not allowed there; the sticky one above it allowed.
    expect(await otherWriterAtOrAbove(inner, st, none, sticky)).toEqual({
      at: inner,
      who: 'writable by all users',
    });
    expect(await otherWriterAtOrAbove(inner, { ...st, mode: 0o040700 }, none, sticky)).toBeUndefined();
    expect(await otherWriterAtOrAbove(inner, { ...st, mode: 0o040700 }, none, none)).toEqual({
      at: open,
      who: 'writable by all users',
    });
  });

  it.skipIf(me !== 0)('a folder above owned by another user is named', async () => {
    const { open, inner } = tree();
    chmodSync(open, 0o755);
    chownSync(open, OTHER, OTHER);
    expect(await otherWriterOnTheWay(inner, all)).toEqual({ at: open, who: `owned by uid ${OTHER}` });
  });
});
