import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header, type types } from 'tar';
import { beforeAll, describe, expect, it } from 'vitest';
import { chooseSocket, openEngine } from '../../src/core/services/engine.js';
import { untaggedArchive, writeTar } from '../../src/core/services/image-archive.js';
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

/** The archive judged as an install judges it, and the tar the engine would get from it. */
async function judged(bytes: Buffer) {
  const archive = path.join(tempDir('bp-tar-edge-'), 'image.tar');
  writeFileSync(archive, bytes);
  const fh = await open(archive);
  try {
    const { entries, replaced } = await untaggedArchive(fh, hello.id);
    const parts: Buffer[] = [];
    for await (const c of writeTar(fh, entries, replaced)) parts.push(c as Buffer);
    const out = path.join(tempDir('bp-tar-out-'), 'engine.tar');
    writeFileSync(out, Buffer.concat(parts));
    // What the engine would read, as GNU tar reads it.
    const names = execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n');
    return { names: entries.map((e) => e.name), engine: names, out };
  } finally {
    await fh.close();
  }
}

const refused = (bytes: Buffer, message?: RegExp) =>
  expect(judged(bytes)).rejects.toMatchObject({
    code: 'image-archive-format',
    ...(message ? { message: expect.stringMatching(message) } : {}),
  });

/** The hello archive without its end-of-archive blocks (podman's entries end in JSON, never a zero block). */
function body(): Buffer {
  const b = readFileSync(hello.archive);
  let end = b.length;
  while (end >= 512 && b.subarray(end - 512, end).every((x) => x === 0)) end -= 512;
  return b.subarray(0, end);
}

const END = Buffer.alloc(1024);

/** A header of `type` (no data), for the types a module archive may not hold. */
function entry(name: string, type: types.EntryTypeName, extra: Record<string, unknown> = {}): Buffer {
  const h = new Header({ path: name, type, mode: 0o644, size: 0, ...extra });
  h.encode();
  return h.block!;
}

describe('tar edges, read by node-tar, are refused or handled as before', () => {
  it('the tar the engine gets holds the same files with the same bytes, untagged', async () => {
    const { names, engine, out } = await judged(readFileSync(hello.archive));
    expect(engine).toEqual(names.filter((n) => n !== 'repositories'));
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', out, 'manifest.json'], { encoding: 'utf8' }));
    expect(manifest[0].RepoTags).toEqual([]);
    const layer = names.find((n) => /^[0-9a-f]{64}\.tar$/.test(n))!;
    const bytesOf = (file: string) => execFileSync('tar', ['-xOf', file, layer], { maxBuffer: 1 << 26 });
    expect(bytesOf(out).equals(bytesOf(hello.archive))).toBe(true);
  });

  it('a pax path longer than a header holds is read whole, and written whole', async () => {
    const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/${'f'.repeat(60)}.txt`;
    const { names, engine } = await judged(
      Buffer.concat([pax({ path: long }), file('short', Buffer.from('x')), readFileSync(hello.archive)]),
    );
    expect(names).toContain(long);
    expect(engine).toContain(long);
    expect(names).not.toContain('short');
  });

  it('a GNU long name (L) is read whole, and one naming manifest.json is a second manifest.json', async () => {
    const gnuLong = (name: string) => {
      const data = Buffer.from(`${name}\0`);
      const h = new Header({
        path: '././@LongLink',
        type: 'NextFileHasLongPath',
        mode: 0o644,
        size: data.length,
      });
      h.encode();
      return Buffer.concat([h.block!, data, block(data.length)]);
    };
    const long = `${'g'.repeat(150)}.txt`;
    const read = await judged(
      Buffer.concat([gnuLong(long), file('cut', Buffer.from('x')), readFileSync(hello.archive)]),
    );
    expect(read.engine).toContain(long);
    await refused(
      Buffer.concat([
        gnuLong('manifest.json'),
        file('other', Buffer.from('[]')),
        readFileSync(hello.archive),
      ]),
      /manifest\.json twice/,
    );
  });

  it('a truncated archive is refused', async () => {
    const b = readFileSync(hello.archive);
    await refused(b.subarray(0, Math.floor(b.length / 2)), /Truncated/);
  });

  it('an archive cut at an entry boundary (no end-of-archive blocks) is refused', async () => {
    await refused(body(), /cut short/);
  });

  it('a header whose checksum is wrong is refused', async () => {
    const bad = file('x', Buffer.from('data'));
    bad[0] = 'y'.charCodeAt(0); // the name changed, the checksum not
    await refused(Buffer.concat([bad, readFileSync(hello.archive)]), /checksum/);
  });

  it('an entry after the end-of-archive blocks never reaches the engine', async () => {
    const { names, engine } = await judged(
      Buffer.concat([readFileSync(hello.archive), file('after', Buffer.from('late')), END]),
    );
    expect(names).not.toContain('after');
    expect(engine).not.toContain('after');
  });

  it('an entry after a single end-of-archive block is refused', async () => {
    await refused(
      Buffer.concat([body(), Buffer.alloc(512), file('after', Buffer.from('late')), END]),
      /follows an end-of-archive block/,
    );
  });

  it('a compressed archive is refused (gzip, zstd)', async () => {
    await refused(gzipSync(readFileSync(hello.archive)), /compressed/);
    const zst = execFileSync('zstd', ['-q', '-c', hello.archive], { maxBuffer: 1 << 26 });
    await refused(zst);
  });

  for (const [type, extra] of [
    ['Link', { linkpath: 'manifest.json' }],
    ['FIFO', {}],
    ['CharacterDevice', {}],
    ['ContiguousFile', {}],
  ] as const)
    it(`an entry of type ${type} is refused`, async () => {
      await refused(Buffer.concat([entry('odd', type, extra), readFileSync(hello.archive)]), /tar type/);
    });

  it('an unknown entry type, and a global pax header, are refused', async () => {
    const unknown = entry('odd', 'File');
    unknown[156] = 'Z'.charCodeAt(0);
    unknown.fill(0x20, 148, 156);
    const sum = unknown.reduce((a, b) => a + b, 0);
    unknown.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    await refused(Buffer.concat([unknown, readFileSync(hello.archive)]), /tar type/);
    const global = pax({ comment: 'g' });
    global[156] = 'g'.charCodeAt(0);
    global.fill(0x20, 148, 156);
    const gsum = global.subarray(0, 512).reduce((a, b) => a + b, 0);
    global.write(`${gsum.toString(8).padStart(6, '0')}\0 `, 148);
    await refused(Buffer.concat([global, readFileSync(hello.archive)]), /global pax header/);
  });

  it('a size in base-256 (GNU, for sizes over 8 GiB) is read', async () => {
    const big = file('b256', Buffer.from('base-256'));
    big.fill(0, 124, 136);
    big[124] = 0x80;
    big[135] = 8;
    big.fill(0x20, 148, 156);
    const sum = big.subarray(0, 512).reduce((a, b) => a + b, 0);
    big.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    const { engine, out } = await judged(Buffer.concat([big, readFileSync(hello.archive)]));
    expect(engine).toContain('b256');
    expect(execFileSync('tar', ['-xOf', out, 'b256'], { encoding: 'utf8' })).toBe('base-256');
  });

  it('an archive changed after it was judged is not handed on whole', async () => {
    const archive = path.join(tempDir('bp-tar-swap-'), 'image.tar');
    writeFileSync(archive, readFileSync(hello.archive));
    const manifest = JSON.parse(
      execFileSync('tar', ['-xOf', archive, 'manifest.json'], { encoding: 'utf8' }),
    );
    const config = execFileSync('tar', ['-xOf', archive, manifest[0].Config]);
    const at = readFileSync(archive).indexOf(config);
    const fh = await open(archive);
    try {
      const { entries, replaced } = await untaggedArchive(fh, hello.id);
      // Same size, other bytes, in the same file: the descriptor reads them.
      const w = openSync(archive, 'r+');
      writeSync(w, Buffer.from(' '), 0, 1, at + config.length - 2);
      closeSync(w);
      const drain = async () => {
        for await (const _ of writeTar(fh, entries, replaced));
      };
      await expect(drain()).rejects.toMatchObject({
        message: expect.stringContaining('changed while it was read'),
      });
    } finally {
      await fh.close();
    }
  });
});
