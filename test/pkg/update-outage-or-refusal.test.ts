/**
 * `bpkg update` tells an outage (exit 1, 'not updated') from a refused index (exit 4, REFUSED)
 * (94dc529). Two ways that went wrong: a repository whose mirror listed first is down and whose
 * next mirror serves a tampered index was reported by the first mirror's error alone ('network':
 * not updated, exit 1), the refusal lost; and a repository that stalls past the mirror deadline
 * (code mirror-timeout, the update's own 'did not serve its index in time') was REFUSED, exit 4.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { showUpdate } from '../../src/cli/commands/pkg-quick.js';
import type { Context } from '../../src/cli/context.js';
import { PackageManager } from '../../src/core/pkg/index.js';
import type { UpdateOutcome } from '../../src/core/pkg/repos.js';
import { GOOD, signedRepo, tempDir } from '../helpers/pkg.js';
import { freePort } from '../helpers/registry.js';

/** showUpdate's exit code and the lines it printed. */
function shown(outcomes: UpdateOutcome[]): { code: number; text: string } {
  let text = '';
  const put = (_data: unknown, human?: string | ((d: unknown) => string)) => {
    text += typeof human === 'function' ? human(_data) : (human ?? '');
  };
  const ctx = { json: false, quiet: false, result: put, report: put } as unknown as Context;
  return { code: showUpdate(ctx, outcomes), text };
}

describe('bpkg update: an outage or a refusal', () => {
  it('a tampered index behind a mirror that is down is refused (exit 4), not an outage', async () => {
    const { key, repo } = await signedRepo([GOOD]);
    const pm = new PackageManager({ root: tempDir('bp-root-') });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    const down = `http://127.0.0.1:${await freePort()}/repo`;
    await pm.repos.add('main', down, { keys: [key.fingerprint], mirrors: [repo] });
    expect((await pm.update())[0]).toMatchObject({ ok: true });

    appendFileSync(path.join(repo, 'index.json'), ' ');
    const outcomes = await pm.update();
    expect(outcomes[0]?.ok).toBe(false);
    expect(outcomes[0]?.error?.code).not.toBe('network');
    const { code, text } = shown(outcomes);
    expect(code).toBe(4);
    expect(text).toMatch(/^main: REFUSED: /m);
    // The index verified before stays in use.
    expect((await pm.search('good'))[0]?.version).toBe('1.0.0');
  });

  it('a repository that stalls past the deadline is not updated (exit 1), not refused', () => {
    const { code, text } = shown([
      {
        repo: 'slow',
        ok: false,
        changed: false,
        error: { code: 'mirror-timeout', message: 'http://h/r did not serve its index in time' },
      },
    ]);
    expect(text).toMatch(/^slow: not updated: /m);
    expect(code).toBe(1);
  });

  it('a repository that denies access (a wrong S3 credential, a registry login) is not updated (exit 1)', () => {
    // QA11's walk: S3's 403 InvalidAccessKeyId read as a tampered index (REFUSED, exit 4).
    const { code, text } = shown([
      {
        repo: 's3',
        ok: false,
        changed: false,
        error: {
          code: 'access-denied',
          message: 'S3 refused s3://bucket/repo/index.json: InvalidAccessKeyId',
          hint: 'Check the AWS credentials',
        },
      },
    ]);
    expect(text).toMatch(/^s3: not updated: S3 refused /m);
    expect(text).toContain('hint: Check the AWS credentials');
    expect(code).toBe(1);
  });
});
