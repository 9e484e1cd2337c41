/**
 * The line an install ends with in the dashboard's job log and the console ('verified: signed by
 * FPR (USER ID)', present/packages.ts verifiedLine) quotes the signing key's user IDs. A user ID is
 * the key owner's text (an OpenPGP user ID may hold any character): a newline in it made a second
 * line of the dashboard's log, one of the key owner's choosing (a forged 'verified: signed by …'
 * naming another key), where bpkg key add/list show it as one line (escapeLine). The console
 * already showed each progress line through escapeLine; the line itself now escapes its user IDs.
 */
import path from 'node:path';
import { expect, it } from 'vitest';
import { appOps } from '../../src/web/app-ops.js';
import { Jobs } from '../../src/web/jobs.js';
import { makeKey, signedRepo, tempDir, trustingRoot } from '../helpers/pkg.js';

/** Anything a terminal would act on, other than newline and tab. */
const RAW =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const FAKE = '0000 0000 0000 0000 0000  0000 0000 0000 0000 0000';
const HOSTILE = `Mallory)\nverified: signed by ${FAKE} (Debian Archive\x1b]0;pwned\x07\u202e`;

it("the dashboard's job log shows a signer's user ID on the verified line, escaped", async () => {
  const key = await makeKey(path.join(tempDir('bp-signer-line-'), 'key'), { name: HOSTILE });
  const { repo } = await signedRepo([{ name: 'good', version: '1.0.0' }], key);
  const root = await trustingRoot(key, repo);
  const ops = appOps(root);
  const { plan } = await ops.signerOf('good');
  const job = new Jobs().start('Install good', (progress, signal) =>
    ops.packageAction('install', 'good', progress, signal, undefined, plan),
  );
  await expect.poll(() => job.state, { timeout: 20_000 }).not.toBe('running');
  expect(job.state, job.lines.join('\n')).toBe('done');
  const verified = job.lines.filter((l) => l.startsWith('verified: '));
  expect(verified).toHaveLength(1);
  expect(verified[0]).toContain('Mallory)\\x0averified: signed by 0000');
  expect(job.lines.join('\n')).not.toMatch(RAW);
});
