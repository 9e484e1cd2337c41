/**
 * The console's and the dashboard's install progress said a download's size at every chunk the
 * fetch reported: installing vectors on the demo box (47 MiB) gave 47 'download vectors N MiB'
 * lines, rag with its dependencies over a hundred, and what the install said after them (installed,
 * not started, who signed it) scrolled off the console's screen (QA24 walk). `bpkg` says a
 * download at its quarters; the console and the dashboard (present/packages.ts packageProgress)
 * now do too: its start, each quarter and its end, the same size never twice.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import { packageProgress } from '../../src/present/packages.js';
import { bytes } from '../../src/present/units.js';
import { coreSources } from '../../src/tui/sources.js';
import { signedRepo, trustingRoot } from '../helpers/pkg.js';

const MiB = 1024 * 1024;

it('a download is said at its start, its quarters and its end, each once', () => {
  const lines: string[] = [];
  const call = packageProgress((l) => lines.push(l), new AbortController().signal, bytes);
  const total = 47 * MiB;
  call.onProgress({ phase: 'download', name: 'vectors', bytes: 0, total });
  for (let n = 1; n <= 47; n++)
    call.onProgress({ phase: 'download', name: 'vectors', bytes: n * MiB, total });
  call.onProgress({ phase: 'download', name: 'vectors', bytes: total, total });
  call.onProgress({ phase: 'verify', name: 'vectors' });
  expect(lines).toEqual([
    'download vectors 0 B',
    'download vectors 12 MiB',
    'download vectors 24 MiB',
    'download vectors 36 MiB',
    'download vectors 47 MiB',
    'verify vectors',
  ]);
});

it('a download of unknown size is said as before, the same size not twice in a row', () => {
  const lines: string[] = [];
  const call = packageProgress((l) => lines.push(l), new AbortController().signal, bytes);
  for (const n of [0, 1, 2, 2]) call.onProgress({ phase: 'download', name: 'x', bytes: n * MiB });
  expect(lines).toEqual(['download x 0 B', 'download x 1.0 MiB', 'download x 2.0 MiB']);
});

it("the console's install of a 6 MiB package: a handful of download lines, the last its size", async () => {
  const { key, repo } = await signedRepo([
    { name: 'bigdata', version: '1.0.0', files: { 'blob.bin': randomBytes(6 * MiB) } },
  ]);
  const root = await trustingRoot(key, repo);
  const lines: string[] = [];
  await coreSources(root).packageAction!(
    'install',
    'bigdata',
    (l) => lines.push(l),
    new AbortController().signal,
  );
  const downloads = lines.filter((l) => l.startsWith('download bigdata'));
  expect(downloads.length, lines.join('\n')).toBeGreaterThan(1);
  expect(downloads.length, lines.join('\n')).toBeLessThanOrEqual(5);
  expect(new Set(downloads).size).toBe(downloads.length);
  expect(lines.some((l) => l.startsWith('installed bigdata 1.0.0'))).toBe(true);
});
