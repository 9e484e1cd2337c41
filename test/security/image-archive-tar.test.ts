import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Header } from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { loadImageArchive } from '../../src/core/services/images.js';
import { imageTagged } from '../helpers/test-images.js';
import { buildHello, type HelloBuild, podman, uniqueName } from '../services/helpers.js';
import { tempDir } from '../setup/temp-registry.js';

/**
 * The tar a module's image archive is: what blueprint lists of it is what the engine must see.
 * The engine gets a tar blueprint writes from its own listing (image-archive.ts); an entry whose
 * name reads one way to blueprint and another to the engine's reader (Go's archive/tar) would let
 * a publisher give the engine a `manifest.json` blueprint never judged: one that tags the image
 * with the admin's `debian:latest`, or names more images.
 */

let hello: HelloBuild;
beforeAll(async () => {
  hello = await buildHello();
}, 120_000);

const block = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

/** A pax `x` header block and its records, for the entry that follows it. */
function pax(records: Record<string, string>): Buffer {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(rest) + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len)
      len = String(len).length + Buffer.byteLength(rest);
    body += `${len}${rest}`;
  }
  const data = Buffer.from(body);
  const h = new Header({ path: 'PaxHeader/x', type: 'ExtendedHeader', mode: 0o644, size: data.length });
  h.encode();
  return Buffer.concat([h.block!, data, block(data.length)]);
}

/** One plain file entry (header, data, padding). */
function file(name: string, data: Buffer): Buffer {
  const h = new Header({ path: name, type: 'File', mode: 0o644, size: data.length, uid: 0, gid: 0 });
  h.encode();
  return Buffer.concat([h.block!, data, block(data.length)]);
}

const idOf = (ref: string) =>
  podman('image', 'inspect', '--format', '{{.Id}}', ref).then(
    (s) => `sha256:${s.trim().replace(/^sha256:/, '')}`,
    () => undefined,
  );

/** A tiny image of its own (podman import of a one-file rootfs), tagged `tag`; its ID. */
function tinyImage(tag: string, content: string): string {
  const dir = tempDir('bp-tar-src-');
  writeFileSync(path.join(dir, 'f'), content);
  execFileSync('tar', ['-cf', path.join(dir, 'r.tar'), '-C', dir, 'f']);
  imageTagged(tag);
  return execFileSync('podman', ['import', '-q', path.join(dir, 'r.tar'), tag], { encoding: 'utf8' }).trim();
}

describe('a name the engine reads otherwise', () => {
  it('a pax path with a NUL in it ("manifest.json\\0x") does not give the engine a second manifest.json', async () => {
    const adminTag = `localhost/bp-admin-${uniqueName('nul')}:latest`;
    const admins = tinyImage(adminTag, `the admin's ${adminTag}`);
    const real = JSON.parse(
      execFileSync('tar', ['-xOf', hello.archive, 'manifest.json'], { encoding: 'utf8' }),
    );
    const evil = Buffer.from(JSON.stringify([{ ...real[0], RepoTags: [adminTag] }]));
    // First in the archive: the engine's reader takes the first manifest.json it meets.
    const archive = path.join(tempDir('bp-tar-nul-'), 'image.tar');
    writeFileSync(
      archive,
      Buffer.concat([pax({ path: 'manifest.json\0x' }), file('evil', evil), readFileSync(hello.archive)]),
    );
    const engine = openEngine(chooseSocket(process.env).path);
    const own = { repo: `localhost/blueprint-build/${uniqueName('bpt-nul')}`, tag: '1.0.0' };
    imageTagged(`${own.repo}:${own.tag}`);
    // Refused, or loaded without the archive's tags: either way the admin's tag stays the admin's.
    await loadImageArchive(engine, archive, hello.id, own).catch((err) =>
      expect(err).toMatchObject({ code: 'image-archive-format' }),
    );
    expect(await idOf(adminTag)).toBe(admins);
  }, 120_000);
});
