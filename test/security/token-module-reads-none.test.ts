/**
 * `blueprint service token NAME` on a module whose server reads no token (QA9's walk): hello, or
 * a module made by `module new` before d6f8af50, gives its server no path to DATA/access-token. The
 * token was written and the command said so ("token of NAME written to …; it applies at the next
 * start"), and after the restart the module's API still answered any local client: the admin
 * believed it protected. A module reads its token through an environment variable naming that
 * file (the kit's readAccessToken; modules/kit/README.md "Access token"); without one the token is
 * refused, nothing written. Removing a token is always allowed.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BlueprintError } from '../../src/core/errors.js';
import { setAccessToken } from '../../src/core/services/module-token.js';
import { serviceDirs } from '../../src/core/services/policy.js';
import { parseService } from '../../src/core/services/schema.js';
import { image, register, tokenRoot } from '../helpers/client-token-box.js';

const TOKEN = 'a-token-of-the-admins-0123456789';

const spec = (name: string, env?: Record<string, string>, data = true) =>
  parseService({
    image,
    network: 'loopback-socket',
    socket: { dir: `/run/${name}`, file: 'api.sock' },
    ...(data ? { data: `/var/lib/${name}` } : {}),
    ...(env ? { env } : {}),
  });

async function refusal(root: string, name: string) {
  const err = (await setAccessToken(root, name, TOKEN).then(
    () => undefined,
    (e: unknown) => e,
  )) as BlueprintError | undefined;
  return err;
}

describe('a token for a module that cannot read one is refused', () => {
  it('no environment variable names DATA/access-token: refused, nothing written', async () => {
    const root = tokenRoot('bp-token-unread-');
    await register(root, 'plain', spec('plain', { GREETING: 'hi' }));
    const err = await refusal(root, 'plain');
    expect(err?.code).toBe('token-not-read');
    expect(err?.message).toMatch(/plain/);
    expect(err?.hint).toMatch(/access-token/);
    expect(existsSync(path.join(serviceDirs(root, 'plain').dataDir, 'access-token'))).toBe(false);
  });

  it('no data folder at all: refused', async () => {
    const root = tokenRoot('bp-token-nodata-');
    await register(root, 'nodata', spec('nodata', undefined, false));
    expect((await refusal(root, 'nodata'))?.code).toBe('token-not-read');
  });

  it('a variable naming the file (as every catalog module and the scaffold have): written', async () => {
    const root = tokenRoot('bp-token-read-');
    await register(root, 'reads', spec('reads', { READS_TOKEN_FILE: '/var/lib/reads/access-token' }));
    const { file } = await setAccessToken(root, 'reads', TOKEN);
    expect(existsSync(file)).toBe(true);
  });

  it('removing a token is allowed whatever the module reads', async () => {
    const root = tokenRoot('bp-token-remove-');
    await register(root, 'plain', spec('plain'));
    await expect(setAccessToken(root, 'plain', undefined)).resolves.toBeDefined();
  });
});
