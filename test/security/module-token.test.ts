/**
 * A module's access token lives in its data folder (ROOT/var/lib/blueprint/modules/NAME/access-token),
 * a folder the module's own container user owns and writes (the engine's `U` option). The module
 * READMEs had the admin write the file by hand as root (`echo TOKEN > …/access-token`), which follows
 * whatever the module left at that name: a module, or whoever took it over, that planted
 * `access-token -> /etc/shadow` had root overwrite that file of the host. `blueprint service token
 * NAME` writes it instead, never through a link, a FIFO or a folder swapped for a link; these are
 * the module's moves, made as its user would (a link owned by its uid, in its folder).
 */
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readToken } from '../../src/core/services/wiring.js';
import { providerSpec, register } from '../helpers/client-token-box.js';
import { blueprintExe, tempDir } from '../helpers/pkg.js';

/** The container user the engine's `U` option gives the data folder to (a subordinate id). */
const MODULE_UID = 100_000;
const TOKEN = 'a-token-of-the-admins-0123456789';

async function box(name = 'llm') {
  const root = tempDir('bp-token-');
  // A provider on a loopback socket with a data folder, without tokens per consumer.
  await register(root, name, providerSpec(name, false));
  const data = path.join(root, 'var/lib/blueprint/modules', name);
  mkdirSync(data, { recursive: true, mode: 0o750 });
  chownSync(data, MODULE_UID, MODULE_UID);
  // A file of the host the module wants root to overwrite (root's, 0640).
  const host = path.join(root, 'etc/shadow');
  mkdirSync(path.dirname(host), { recursive: true });
  writeFileSync(host, 'root:$y$hash:20000:0:99999:7:::\n', { mode: 0o640 });
  return { root, name, data, host, token: path.join(data, 'access-token') };
}

const blueprint = (root: string, args: string[], input?: string) =>
  spawnSync(blueprintExe, ['--root', root, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    ...(input === undefined ? { stdio: ['ignore', 'pipe', 'pipe'] } : { input }),
  });

/** The module's move: a link of its own at a name in its folder. */
function plantLink(target: string, at: string) {
  symlinkSync(target, at);
  chownSync(at, MODULE_UID, MODULE_UID);
}

describe('blueprint service token writes the token without following what the module left', () => {
  it('a link at access-token to a host file: the host file is untouched, the token a real file', async () => {
    const b = await box();
    plantLink(b.host, b.token);
    const before = statSync(b.host);
    const r = blueprint(b.root, ['service', 'token', b.name, '--stdin'], `${TOKEN}\n`);
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(b.host, 'utf8')).toBe('root:$y$hash:20000:0:99999:7:::\n');
    expect(statSync(b.host)).toMatchObject({ uid: before.uid, gid: before.gid, mode: before.mode });
    const st = lstatSync(b.token);
    expect(st.isFile()).toBe(true);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({
      uid: MODULE_UID,
      gid: MODULE_UID,
      mode: 0o440,
    });
    expect((await readToken(b.root, b.name))?.toString('utf8').trim()).toBe(TOKEN);
  });

  it('a FIFO at access-token does not hang it; the FIFO is replaced', async () => {
    const b = await box();
    spawnSync('mkfifo', [b.token]);
    const r = blueprint(b.root, ['--json', 'service', 'token', b.name]);
    expect(r.status, r.stderr).toBe(0);
    const made = JSON.parse(r.stdout).token as string;
    expect(made).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(lstatSync(b.token).isFile()).toBe(true);
    expect(readFileSync(b.token, 'utf8').trim()).toBe(made);
  });

  it('a data folder that is a link (to a folder outside) is refused, nothing written there', () => {
    return box().then((b) => {
      const outside = path.join(b.root, 'outside');
      renameSync(b.data, outside);
      symlinkSync(outside, b.data);
      const r = blueprint(b.root, ['--json', 'service', 'token', b.name, '--stdin'], TOKEN);
      expect(r.status).not.toBe(0);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'unsafe-link' });
      expect(() => lstatSync(path.join(outside, 'access-token'))).toThrow();
    });
  });

  it('--remove unlinks a link at the name, never its target', async () => {
    const b = await box();
    plantLink(b.host, b.token);
    const r = blueprint(b.root, ['service', 'token', b.name, '--remove']);
    expect(r.status, r.stderr).toBe(0);
    expect(() => lstatSync(b.token)).toThrow();
    expect(readFileSync(b.host, 'utf8')).toMatch(/^root:/);
  });

  it('refuses a token no client could send, and a name that is no installed module', async () => {
    const b = await box();
    expect(blueprint(b.root, ['service', 'token', b.name, '--stdin'], 'short\n').status).toBe(2);
    expect(
      blueprint(b.root, ['service', 'token', b.name, '--stdin'], 'has a space 0123456789\n').status,
    ).toBe(2);
    expect(blueprint(b.root, ['service', 'token', '../../../../tmp/x']).status).toBe(3);
    expect(blueprint(b.root, ['service', 'token', b.name, '--stdin'], 'x'.repeat(4096)).status).toBe(2);
    expect(() => lstatSync(b.token)).toThrow();
  });

  it('the longest token it takes is one the wiring and the CLI read back', async () => {
    const b = await box();
    const longest = 'y'.repeat(4095);
    expect(blueprint(b.root, ['service', 'token', b.name, '--stdin'], longest).status).toBe(0);
    expect((await readToken(b.root, b.name))?.toString('utf8').trim()).toBe(longest);
  });
});
