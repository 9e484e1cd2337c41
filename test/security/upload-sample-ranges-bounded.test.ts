/**
 * REVIEW15, a guard on CONSOLE7's c1a1c787/eab2d5f6 (found sound): the dashboard upload pre-check
 * (GET /import-model/check, an admin's session) compares sampled blocks of the installed GGUF. What
 * the box reads is fixed by the installed file's own size, never by the request: the request's
 * `bytes` must equal that size before any read, its `sample` is at most 2 KiB of hex (anything else
 * is no sample), and the blocks are uploadSampleRanges(size): 16 at most, 64 bytes each, inside the
 * file for every size (no offset past the end, none negative, 1 KiB read per check). The model's name
 * is checked before any path is made from it (no path, no look-alike reaches the package list).
 */
import { describe, expect, it } from 'vitest';
import { checkImportName } from '../../src/core/models/import.js';
import {
  UPLOAD_SAMPLE_BYTES,
  UPLOAD_SAMPLES,
  uploadSampleRanges,
} from '../../src/core/models/import-again.js';

describe('the upload pre-check reads a bounded part of the installed GGUF', () => {
  it.each([0, 1, 63, 64, 65, 1023, 1024, 4 * 1024 ** 3 + 7, Number.MAX_SAFE_INTEGER])(
    'a file of %d bytes: at most 16 blocks of 64 bytes, each inside the file',
    (size) => {
      const ranges = uploadSampleRanges(size);
      expect(ranges.length).toBeLessThanOrEqual(UPLOAD_SAMPLES);
      let read = 0;
      for (const r of ranges) {
        expect(Number.isSafeInteger(r.offset)).toBe(true);
        expect(r.offset).toBeGreaterThanOrEqual(0);
        expect(r.length).toBeGreaterThan(0);
        expect(r.length).toBeLessThanOrEqual(UPLOAD_SAMPLE_BYTES);
        expect(r.offset + r.length).toBeLessThanOrEqual(size);
        read += r.length;
      }
      expect(read).toBeLessThanOrEqual(UPLOAD_SAMPLES * UPLOAD_SAMPLE_BYTES);
      if (size > 0) expect(ranges.at(-1)!.offset + ranges.at(-1)!.length).toBe(size); // the last byte too
    },
  );

  it.each(['../../etc/passwd', 'qwen/../../x', 'm\u0430in', 'x\u200b', '.', ''])(
    'a model name %j with a path or a look-alike in it is refused before any path is made',
    (name) => {
      expect(() => checkImportName(name)).toThrow(/Bad model name/);
    },
  );
});
