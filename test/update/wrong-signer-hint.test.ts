// A bundle signed by a certificate this box's keyring does not hold (QA14's walk, real RAUC:
// test/update/rauc-sandbox.ts). Refused, as it must be, but the hint said 'Get the bundle again from
// its publisher', which cannot help: a bundle made for other boxes (another vendor's, a test build)
// is refused again however often it is fetched. The hint now says what the refusal means; a bundle
// changed on its way keeps the old hint (fetch it again).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { cliIn, raucForSuite, raucMissing } from './rauc-sandbox.js';

const missing = raucMissing();
const box = raucForSuite();

it.skipIf(missing)('a stranger-signed bundle: the hint names the keyring, not a new download', async () => {
  const r = await cliIn(box.root, 'system', 'update', box.bundle('2.0.1', box.stranger));
  expect(r.code).toBe(4);
  expect(r.err).toMatch(/error: the bundle is refused: .*unable to get local issuer certificate/);
  expect(r.err).toContain(
    'hint: It is signed by a certificate this box’s RAUC keyring (/etc/rauc/keyring.pem) does not hold',
  );
  expect(r.err).not.toContain('Get the bundle again');
});

it.skipIf(missing)('a bundle changed on its way keeps the hint to fetch it again', async () => {
  const good = box.bundle('2.0.2');
  const bad = path.join(box.dir, 'tampered.raucb');
  const bytes = readFileSync(good);
  bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
  writeFileSync(bad, bytes);
  const r = await cliIn(box.root, 'system', 'update', bad);
  expect(r.code).toBe(4);
  expect(r.err).toContain('Get the bundle again from its publisher');
});
