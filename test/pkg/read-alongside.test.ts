/**
 * readAlongside (src/core/pkg/node-lazy.ts): an unchanged `bpkg update` reads the served index
 * once, in pieces, hashing each piece for the signature while it compares it with the kept copy
 * and the cache (issue 20: no 2.6 MB buffer of its own, one pass instead of a read, a hash and two
 * compares). What it hands on must be the whole file, exactly, and it must take a side only when
 * that side is `before`, then exactly the file's bytes, then `after`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readAlongside } from '../../src/core/pkg/node-lazy.js';
import { tempDir } from '../helpers/pkg.js';

const dir = tempDir();
const served = path.join(dir, 'served');
const kept = path.join(dir, 'kept');
const cache = path.join(dir, 'cache');
const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => `line ${i}\n`).join(''));
const before = Buffer.from('seal\n{"index":');
const after = Buffer.from('}');

/** The sides as the update gives them: the kept copy as it is, the cache wrapped. */
const sides = () => [
  { file: kept, before: Buffer.alloc(0), after: Buffer.alloc(0) },
  { file: cache, before, after },
];

function writeAll(servedBytes = body, keptBytes = body, cacheBytes = Buffer.concat([before, body, after])) {
  writeFileSync(served, servedBytes);
  writeFileSync(kept, keptBytes);
  writeFileSync(cache, cacheBytes);
}

/** readAlongside's answer and the bytes it handed on, joined. */
function run(piece: number, max = 1 << 20) {
  const seen: Buffer[] = [];
  const ok = readAlongside(served, max, sides(), (p) => seen.push(Buffer.from(p)), Buffer.alloc(piece));
  return { ok, seen: Buffer.concat(seen) };
}

describe('readAlongside', () => {
  it('hands on the whole file, exactly, and takes sides that hold it, whatever the size of the pieces', () => {
    writeAll();
    for (const piece of [1, 3, 7, 64, 4096, 1 << 16]) {
      const { ok, seen } = run(piece);
      expect(ok, `${piece}`).toBe(true);
      expect(seen.equals(body), `${piece}`).toBe(true);
    }
  });

  it('refuses a side one byte different anywhere: before, in the middle (past the first piece), after', () => {
    const whole = Buffer.concat([before, body, after]);
    for (const i of [
      0,
      before.length - 1,
      before.length,
      before.length + 5000,
      whole.length - 2,
      whole.length - 1,
    ]) {
      const changed = Buffer.from(whole);
      changed[i] = changed[i]! ^ 1;
      writeAll(body, body, changed);
      expect(run(256).ok, `cache byte ${i}`).toBe(false);
    }
    for (const i of [0, 4999, body.length - 1]) {
      const changed = Buffer.from(body);
      changed[i] = changed[i]! ^ 1;
      writeAll(body, changed);
      expect(run(256).ok, `kept byte ${i}`).toBe(false);
    }
  });

  it('refuses sides one byte shorter or longer, and missing ones', () => {
    for (const bytes of [body.subarray(0, -1), Buffer.concat([body, Buffer.from(' ')])]) {
      writeAll(body, bytes);
      expect(run(256).ok).toBe(false);
      writeAll(body, body, Buffer.concat([before, bytes, after]));
      expect(run(256).ok).toBe(false);
    }
    writeAll(body, body, Buffer.concat([before, body, after, Buffer.from('x')]));
    expect(run(256).ok).toBe(false);
    writeAll(body, body, Buffer.concat([before, body]));
    expect(run(256).ok).toBe(false);
    writeAll();
    expect(
      readAlongside(
        served,
        1 << 20,
        [{ file: `${kept}.missing`, before, after }],
        () => {},
        Buffer.alloc(64),
      ),
    ).toBe(false);
  });

  it('refuses a served file that differs from the sides, is missing, or is larger than the limit', () => {
    const changed = Buffer.from(body);
    changed[7000] = changed[7000]! ^ 1;
    writeAll(changed);
    expect(run(256).ok).toBe(false);
    writeAll(Buffer.concat([body, Buffer.from(' ')]));
    expect(run(256).ok).toBe(false);
    writeAll();
    expect(run(256, body.length - 1).ok).toBe(false);
    expect(run(256, body.length).ok).toBe(true);
    expect(readAlongside(`${served}.missing`, 1 << 20, sides(), () => {}, Buffer.alloc(64))).toBe(false);
  });

  it('with no sides, hands on the whole file', () => {
    writeAll();
    const seen: Buffer[] = [];
    expect(readAlongside(served, 1 << 20, [], (p) => seen.push(Buffer.from(p)), Buffer.alloc(100))).toBe(
      true,
    );
    expect(Buffer.concat(seen).equals(body)).toBe(true);
  });
});
