/**
 * The kit's reading of blueprint's purge records (modules/kit/server/purge.ts): `purge.CONSUMER`,
 * one line "CONSUMER TIME". Anything else is logged and left, and nothing is purged for it; a link,
 * a FIFO or a large file at a record's name is never read through.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyPurgeRecords,
  type KitLog,
  parsePurgeRecord,
  readPurgeRecords,
} from '../../modules/kit/server/index.js';
import { tempDir } from '../setup/temp-registry.js';

function logger() {
  const lines: string[] = [];
  const log: KitLog = Object.assign((l: string) => void lines.push(l), {
    startup: (l: string) => void lines.push(l),
    event: (_k: string, l: string) => void lines.push(l),
    flush: () => {},
  });
  return { log, lines };
}

describe('purge records', () => {
  it('parses one line naming the consumer of its file name', () => {
    expect(parsePurgeRecord('purge.rag', 'rag 1796550000000\n')).toMatchObject({
      consumer: 'rag',
      before: 1796550000000,
    });
    expect(parsePurgeRecord('purge.my-rag', 'my-rag 5')).toMatchObject({ consumer: 'my-rag', before: 5 });
    expect(parsePurgeRecord('purge.rag', 'other 5\n')).toEqual({
      why: 'names other, not rag of its file name',
    });
    for (const bad of [
      'rag\n',
      'rag 5\nrag 6\n',
      'rag -5\n',
      'rag 5 6\n',
      ' rag 5\n',
      'rag 99999999999999999\n',
      '',
    ])
      expect(parsePurgeRecord('purge.rag', bad)).toHaveProperty('why');
    expect(parsePurgeRecord('purge.Rag', 'Rag 5\n')).toHaveProperty('why');
    expect(parsePurgeRecord('purge.', ' 5\n')).toHaveProperty('why');
  });

  it('reads the good ones, logs and leaves the rest, follows no link; applying removes only what it applied', async () => {
    const dir = tempDir('kit-purge-');
    const outside = tempDir('kit-purge-out-');
    writeFileSync(join(outside, 'purge.evil'), 'evil 5\n');
    writeFileSync(join(dir, 'purge.rag'), 'rag 7\n');
    writeFileSync(join(dir, 'purge.big'), `big ${'1'.repeat(300)}\n`);
    symlinkSync(join(outside, 'purge.evil'), join(dir, 'purge.evil'));
    mkdirSync(join(dir, 'purge.folder'));
    execFileSync('mkfifo', [join(dir, 'purge.fifo')]);
    writeFileSync(join(dir, 'client-tokens'), 'rag x\n');
    const { log, lines } = logger();
    expect(readPurgeRecords(dir, log).map((r) => [r.consumer, r.before])).toEqual([['rag', 7]]);
    expect(lines).toHaveLength(4);
    expect(lines.join('\n')).toMatch(
      /"purge\.evil" ignored, nothing deleted for it: it cannot be opened \(ELOOP\)/,
    );
    expect(lines.join('\n')).toMatch(/"purge\.fifo" ignored.*not a regular file/);
    expect(lines.join('\n')).toMatch(/"purge\.big" ignored.*over 256 bytes/);
    const asked: [string, number][] = [];
    await applyPurgeRecords(dir, log, async (c, b) => asked.push([c, b]));
    expect(asked).toEqual([['rag', 7]]);
    expect(existsSync(join(dir, 'purge.rag'))).toBe(false);
    expect(existsSync(join(dir, 'purge.big'))).toBe(true);
    expect(existsSync(join(outside, 'purge.evil'))).toBe(true);
    // A purge that throws keeps its record for the next try.
    writeFileSync(join(dir, 'purge.rag'), 'rag 8\n');
    await applyPurgeRecords(dir, log, async () => {
      throw new Error('disk full');
    });
    expect(existsSync(join(dir, 'purge.rag'))).toBe(true);
    expect(lines.at(-1)).toBe("purge of rag's data failed, its record kept for the next try: disk full");
    // No folder given, or none there: nothing, no throw.
    expect(readPurgeRecords(undefined, log)).toEqual([]);
    expect(readPurgeRecords(join(dir, 'nope'), log)).toEqual([]);
  });
});
