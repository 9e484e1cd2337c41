import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadFloor, downloadLimits } from '../../src/core/pkg/download-pace.js';
import { tempDir } from '../helpers/pkg.js';

/**
 * Review of downloads.minKiBPerSecond (download-pace.ts): a setting the box cannot read as meant
 * is refused, naming the file, never taken as "no setting". A `downloads` that is not an object, or
 * a misspelt key in it, was ignored: the admin of a slow link who wrote `"downloads": 32` or
 * `"minKibPerSecond"` got the default floor with no word why every large package failed.
 */

const config = (v: unknown) => {
  const file = path.join(tempDir(), 'config.json');
  writeFileSync(file, JSON.stringify(v));
  return file;
};

describe('downloads in config.json', () => {
  it('a good setting and no setting are taken', async () => {
    expect(await downloadFloor(config({ downloads: { minKiBPerSecond: 32 } }))).toBe(32 * 1024);
    expect(await downloadFloor(config({ other: 1 }))).toBe(downloadLimits.minBytesPerSecond);
    expect(await downloadFloor(config({ downloads: {} }))).toBe(downloadLimits.minBytesPerSecond);
  });

  for (const bad of [32, 'fast', [], null, { minKibPerSecond: 8 }, { minKiBPerSecond: 8, extra: 1 }])
    it(`downloads: ${JSON.stringify(bad)} is refused, naming the file`, async () => {
      const file = config({ downloads: bad });
      await expect(downloadFloor(file)).rejects.toMatchObject({
        code: 'usage',
        message: expect.stringContaining(file),
      });
    });

  for (const bad of [0, 0.5, -1, '32', null, true, 1024 * 1024 + 1])
    it(`minKiBPerSecond: ${JSON.stringify(bad)} is refused`, async () => {
      await expect(downloadFloor(config({ downloads: { minKiBPerSecond: bad } }))).rejects.toMatchObject({
        code: 'usage',
      });
    });
});
