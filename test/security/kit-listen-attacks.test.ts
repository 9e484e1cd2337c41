/**
 * An outside reviewer's attack pass over the kit's socket listener (modules/kit/server/listen.ts,
 * issues 16 and 17): what may already be at the socket's name (a folder, links, a socket someone is
 * listening on), private folders of another instance starting at the same moment in the same
 * folder, look-alike left-overs, and paths whose byte length differs from their character count.
 * test/kit/listen.test.ts holds the mode and the clean-up of a killed instance's folder.
 */
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { listenOnSocket } from '../../modules/kit/server/index.js';
import { readUntilClose } from '../helpers/kit-parse.js';
import { tempDir } from '../setup/temp-registry.js';

const servers: Server[] = [];
function server(word = 'hi'): Server {
  const s = createServer((c) => c.end(word));
  servers.push(s);
  return s;
}
afterEach(async () => {
  for (const s of servers.splice(0)) if (s.listening) await new Promise((r) => s.close(r));
});

/** What the server sends a client that says nothing. */
const hello = readUntilClose;

describe('what is already at the socket name', () => {
  it('refuses a folder, a dangling link and a link to a file, leaving each and its target as they were', async () => {
    const dir = tempDir('kit-attack-');
    const target = join(tempDir('kit-attack-t-'), 'victim');
    writeFileSync(target, 'victim');
    const cases: [string, string, () => void, () => void][] = [
      [
        'a folder',
        'a.sock',
        () => mkdirSync(join(dir, 'a.sock')),
        () => expect(lstatSync(join(dir, 'a.sock')).isDirectory()).toBe(true),
      ],
      [
        'a dangling link',
        'b.sock',
        () => symlinkSync(join(dir, 'nowhere'), join(dir, 'b.sock')),
        () => {
          expect(readlinkSync(join(dir, 'b.sock'))).toBe(join(dir, 'nowhere'));
          expect(existsSync(join(dir, 'nowhere'))).toBe(false);
        },
      ],
      [
        'a link to a file',
        'c.sock',
        () => symlinkSync(target, join(dir, 'c.sock')),
        () => {
          expect(readlinkSync(join(dir, 'c.sock'))).toBe(target);
          expect(readFileSync(target, 'utf8')).toBe('victim');
          expect(lstatSync(target).mode & 0o777).not.toBe(0o666);
        },
      ],
    ];
    for (const [what, name, make, still] of cases) {
      make();
      const s = server();
      await expect(listenOnSocket(s, join(dir, name)), what).rejects.toThrow();
      expect(s.listening, what).toBe(false);
      still();
    }
    // Nothing of ours left behind: no private folder, no socket.
    expect(readdirSync(dir).sort()).toEqual(['a.sock', 'b.sock', 'c.sock']);
  });

  it("refuses a link to another server's live socket, which keeps answering", async () => {
    const dir = tempDir('kit-attack-');
    const other = tempDir('kit-attack-o-');
    const live = server('other');
    await new Promise<void>((r) => live.listen(join(other, 'live.sock'), r));
    symlinkSync(join(other, 'live.sock'), join(dir, 'api.sock'));
    await expect(listenOnSocket(server(), join(dir, 'api.sock'))).rejects.toThrow(/not a socket/);
    expect(lstatSync(join(dir, 'api.sock')).isSymbolicLink()).toBe(true);
    expect(await hello(join(other, 'live.sock'))).toBe('other');
  });

  // Failed at 08075fe (the live socket's name was unlinked and taken); fixed in 94190b0.
  it('does not take the name of a socket another instance is listening on', async () => {
    const dir = tempDir('kit-attack-');
    const sock = join(dir, 'api.sock');
    await listenOnSocket(server('first'), sock);
    expect(await hello(sock)).toBe('first');
    // A second instance of the same module started by mistake: the first one's clients must not
    // be cut off from it (only a stale socket, which nothing listens on, is replaced).
    const second = server('second');
    await listenOnSocket(second, sock).catch(() => undefined);
    expect(await hello(sock)).toBe('first');
  });
});

describe('the socket removed at close', () => {
  it('is removed only while its name is still this socket: a socket put there since is left answering', async () => {
    const dir = tempDir('kit-attack-');
    const sock = join(dir, 'api.sock');
    const first = server('first');
    await listenOnSocket(first, sock);
    // Another socket takes the name meanwhile (a new instance, or someone else's doing).
    unlinkSync(sock);
    const next = server('next');
    await new Promise<void>((r) => next.listen(join(dir, 'next.sock'), r));
    linkSync(join(dir, 'next.sock'), sock);
    await new Promise((r) => first.close(r));
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(await hello(sock)).toBe('next');
    // A file put at the name is not removed either.
    const third = server('third');
    await listenOnSocket(third, join(dir, 'third.sock'));
    unlinkSync(join(dir, 'third.sock'));
    writeFileSync(join(dir, 'third.sock'), 'a file');
    await new Promise((r) => third.close(r));
    expect(readFileSync(join(dir, 'third.sock'), 'utf8')).toBe('a file');
  });
});

describe('private folders of the bind', () => {
  // Failed at 08075fe (removeLeftOvers removed the other binds' private folders mid-bind); fixed in
  // 94190b0.
  it('two sockets made at the same moment in one folder both come up, reachable, and leave no folder', async () => {
    const dir = tempDir('kit-attack-');
    const names = ['a.sock', 'b.sock', 'c.sock', 'd.sock'];
    const results = await Promise.allSettled(names.map((n) => listenOnSocket(server(n), join(dir, n))));
    expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(
      names.map(() => 'ok'),
    );
    for (const n of names) expect(await hello(join(dir, n))).toBe(n);
    expect(readdirSync(dir).sort()).toEqual(names);
  });

  it('leaves look-alikes that are not its empty folders: a file, a folder with more in it', async () => {
    const dir = tempDir('kit-attack-');
    writeFileSync(join(dir, '.bind-File00'), 'a file');
    mkdirSync(join(dir, '.bind-Full00'));
    writeFileSync(join(dir, '.bind-Full00', 'keep'), 'keep');
    // Names the pattern does not take (seven characters, other characters).
    mkdirSync(join(dir, '.bind-Seven00'));
    mkdirSync(join(dir, '.bind-a_b-c0'));
    await listenOnSocket(server(), join(dir, 'api.sock'));
    expect(readdirSync(dir).sort()).toEqual([
      '.bind-File00',
      '.bind-Full00',
      '.bind-Seven00',
      '.bind-a_b-c0',
      'api.sock',
    ]);
    expect(readdirSync(join(dir, '.bind-Full00'))).toEqual(['keep']);
  });

  it('judges the length of a path in bytes: a name of few characters but too many bytes is refused', async () => {
    const dir = tempDir('kit-attack-');
    // The private path (dir/.bind-XXXXXX/s) is dir + 15 bytes; fill to 100 characters with é (2 bytes).
    const room = 100 - (dir.length + 1);
    const name = `${'é'.repeat(room - 5)}.sock`;
    const sock = join(dir, name);
    expect(sock.length).toBeLessThanOrEqual(107);
    expect(Buffer.byteLength(sock)).toBeGreaterThan(107);
    const s = server();
    await expect(listenOnSocket(s, sock)).rejects.toThrow(/too long/);
    expect(s.listening).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});
