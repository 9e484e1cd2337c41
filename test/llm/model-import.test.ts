import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open, rm } from 'node:fs/promises';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import { readGgufInfo } from '../../src/core/models/gguf.js';
import { signFile } from '../../src/core/pkg/build.js';
import { bpkg, buildRepo, makeKey, makeSource, run, tempDir } from '../helpers/pkg.js';
import { F32, Q8 } from './helpers.js';

// `blueprint model import`: a GGUF from a USB stick becomes model-NAME, signed by the box's own key
// (real OpenPGP), installed through the package manager's checks, in a temporary root.
const work = tempDir('bp-model-import-');
const mounts: string[] = [];
afterAll(async () => {
  for (const m of mounts) execFileSync('umount', [m]);
  await rm(work, { recursive: true, force: true });
});

const leftovers = (root: string) => [
  ...readdirSync(path.join(root, 'var/cache/blueprint/model-import'), { withFileTypes: true }).map(
    (e) => e.name,
  ),
  ...readdirSync(path.join(root, 'var/cache/blueprint/packages')).filter((f) => f.startsWith('.local-')),
];

describe('the GGUF reader', () => {
  it('reads what node-llama-cpp reads from the same files (F32 and Q8_0)', async () => {
    for (const file of [F32, Q8]) {
      const theirs = await readGgufFileInfo(file, { readTensorInfo: false, logWarnings: false });
      const fh = await open(file, 'r');
      const ours = await readGgufInfo(fh, statSync(file).size).finally(() => fh.close());
      const m = theirs.metadata as unknown as {
        general: { architecture: string; name?: string };
        tokenizer: { chat_template?: string; ggml: { tokens: string[] } };
        llama: { context_length: number; block_count: number; embedding_length: number };
      };
      expect(ours.version).toBe(theirs.version);
      expect(ours.tensorCount).toBe(BigInt(theirs.tensorCount));
      expect(ours.metadata.get('general.architecture')).toBe(m.general.architecture);
      expect(ours.metadata.get('general.name')).toBe(m.general.name);
      expect(ours.metadata.get('tokenizer.chat_template')).toBe(m.tokenizer.chat_template);
      expect(ours.metadata.get('llama.context_length')).toBe(m.llama.context_length);
      expect(ours.metadata.get('llama.block_count')).toBe(m.llama.block_count);
      expect(ours.metadata.get('llama.embedding_length')).toBe(m.llama.embedding_length);
      expect(ours.arrays.get('tokenizer.ggml.tokens')).toBe(BigInt(m.tokenizer.ggml.tokens.length));
    }
  });

  it('refuses what is not a GGUF, or one whose lengths point past its end', async () => {
    const read = async (bytes: Buffer) => {
      const f = path.join(work, `bad-${Math.random()}.gguf`);
      writeFileSync(f, bytes);
      const fh = await open(f, 'r');
      return readGgufInfo(fh, bytes.length).finally(() => fh.close());
    };
    await expect(read(Buffer.from('not a model at all, just text\n'))).rejects.toThrow(
      /does not start with "GGUF"/,
    );
    const q8 = readFileSync(Q8);
    await expect(read(q8.subarray(0, 4096))).rejects.toMatchObject({ code: 'not-gguf' });
    const lying = Buffer.from(q8.subarray(0, 64));
    lying.writeBigUInt64LE(2n ** 40n, 24); // the first key's length
    await expect(read(lying)).rejects.toThrow(/longer than the file/);
  });
});

describe('blueprint model import', () => {
  const root = path.join(work, 'root');
  const box = openBox(root, { yes: true });

  it('imports a GGUF as model-NAME signed by the box key, installed with origin local', async () => {
    const usb = path.join(work, 'usb');
    mkdirSync(usb);
    copyFileSync(Q8, path.join(usb, 'Tiny Llama Q8.gguf'));
    const phases = new Set<string>();
    let copied = 0;
    const r = await box.models.import(path.join(usb, 'Tiny Llama Q8.gguf'), {
      name: 'tiny-q8',
      license: 'MIT (random test weights)',
      onImport: (e) => {
        phases.add(e.phase);
        if (e.phase === 'copy') copied = e.bytes;
      },
    });
    expect([...phases]).toEqual(['copy', 'package', 'sign', 'install']);
    expect(copied).toBe(statSync(Q8).size);
    const sha = execFileSync('sha256sum', [Q8], { encoding: 'utf8' }).split(' ')[0];
    expect(r).toMatchObject({
      package: 'model-tiny-q8',
      version: '1.0.0',
      origin: 'local',
      license: 'MIT (random test weights)',
      source: { bytes: statSync(Q8).size, sha256: sha },
    });
    expect(Object.keys(r.files)).toEqual([
      'models/tiny-q8/chat_template.jinja',
      'models/tiny-q8/tiny-q8.gguf',
    ]);
    expect(r.files['models/tiny-q8/tiny-q8.gguf']).toBe(sha);

    // Installed like any package, and the file is the one on the stick.
    const installed = (await box.packages.list()).find((p) => p.name === 'model-tiny-q8');
    expect(installed).toMatchObject({ origin: 'local', version: '1.0.0' });
    expect(installed?.signer.toLowerCase()).toBe(r.signer);
    const dir = path.join(root, 'opt/blueprint/model-tiny-q8/current/models/tiny-q8');
    expect(readFileSync(path.join(dir, 'tiny-q8.gguf')).equals(readFileSync(Q8))).toBe(true);
    expect(readFileSync(path.join(dir, 'chat_template.jinja'), 'utf8')).toContain("'<|assistant|>\\n'");
    expect((await box.packages.verify('model-tiny-q8'))[0]?.ok).toBe(true);

    // The box key: the secret root's only, never among the trusted publisher keys.
    const keyDir = path.join(root, 'var/lib/blueprint/local-key');
    expect(statSync(keyDir).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(keyDir, 'public.asc')).mode & 0o777).toBe(0o644);
    expect(statSync(path.join(root, 'var/cache/blueprint')).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(keyDir, 'secret.asc')).mode & 0o777).toBe(0o600);
    expect((await box.models.localKey())?.fingerprint).toBe(r.signer);
    expect(await box.keys.list()).toEqual([]);
    // Nothing of the work is left: no private copy, no package file.
    expect(leftovers(root)).toEqual([]);
  });

  it('a file changed after install is named by bpkg verify (and by the llm service at start)', async () => {
    const f = path.join(root, 'opt/blueprint/model-tiny-q8/current/models/tiny-q8/tiny-q8.gguf');
    const keep = readFileSync(f);
    const b = Buffer.from(keep);
    b[b.length - 1]! ^= 1;
    writeFileSync(f, b);
    const [report] = await box.packages.verify('model-tiny-q8');
    expect(report?.ok).toBe(false);
    expect(JSON.stringify(report?.problems)).toContain('models/tiny-q8/tiny-q8.gguf');
    writeFileSync(f, keep);
  });

  it('refuses a name taken, a file that is not a GGUF, a bad name: nothing left behind', async () => {
    await expect(box.models.import(F32, { name: 'tiny-q8' })).rejects.toMatchObject({
      code: 'name-taken',
      exitCode: 5,
      // The model commands' own words (model rm, as ollama rm), as model list's hints give.
      hint: expect.stringContaining('`blueprint model rm tiny-q8`'),
    });
    const text = path.join(work, 'notes.gguf');
    writeFileSync(text, 'these are my notes, not a model\n'.repeat(1000));
    await expect(box.models.import(text, { name: 'notes' })).rejects.toMatchObject({ code: 'not-gguf' });
    // Starts like a GGUF, then ends inside its metadata: found on the copy, after it was made.
    const cut = path.join(work, 'cut.gguf');
    writeFileSync(cut, readFileSync(F32).subarray(0, 8192));
    await expect(box.models.import(cut, { name: 'cut' })).rejects.toMatchObject({ code: 'not-gguf' });
    await expect(box.models.import(F32, { name: 'Bad Name' })).rejects.toMatchObject({ exitCode: 2 });
    await expect(box.models.import(F32, { name: 'v', version: '1.0' })).rejects.toMatchObject({
      exitCode: 2,
    });
    await expect(box.models.import(F32, { name: 'l', license: 'MIT\x1b[2J' })).rejects.toMatchObject({
      exitCode: 2,
    });
    await expect(box.models.import(path.join(work, 'absent.gguf'), { name: 'absent' })).rejects.toMatchObject(
      {
        exitCode: 3,
      },
    );
    await expect(box.models.import(work, { name: 'folder' })).rejects.toMatchObject({ code: 'not-a-file' });
    expect((await box.packages.list()).map((p) => p.name)).toEqual(['model-tiny-q8']);
    expect(leftovers(root)).toEqual([]);
  });

  it('Ctrl-C during the copy leaves nothing behind', async () => {
    const stop = new AbortController();
    await expect(
      box.models.import(F32, {
        name: 'stopped',
        signal: stop.signal,
        onImport: (e) => e.phase === 'copy' && e.bytes > 0 && stop.abort(),
      }),
    ).rejects.toThrow();
    expect(existsSync(path.join(root, 'opt/blueprint/model-stopped'))).toBe(false);
    expect(leftovers(root)).toEqual([]);
  });

  it('a disk too small is refused before anything is written', async () => {
    const small = path.join(work, 'small');
    mkdirSync(small);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small]);
    mounts.push(small);
    const err = await openBox(small, { yes: true })
      .models.import(F32, { name: 'big' })
      .catch((e) => e);
    expect(err).toMatchObject({ code: 'disk-full', exitCode: 7 });
    expect(err.message).toMatch(/GiB needed under .*, 0\.00 GiB free/);
    expect(readdirSync(small).filter((f) => f !== 'var')).toEqual([]);
    expect(existsSync(path.join(small, 'opt/blueprint/model-big'))).toBe(false);
  });
});

describe("the box key's signatures", () => {
  it('are OpenPGP signatures GnuPG verifies (made from a digest hashed off the main thread)', async () => {
    const { LocalKey } = await import('../../src/core/pkg/local-key.js');
    const { layout } = await import('../../src/core/system/paths.js');
    const key = new LocalKey(layout(path.join(work, 'sig-root')));
    const fpr = await key.ensure();
    expect(await key.ensure()).toBe(fpr); // made once
    const file = path.join(work, 'signed.bin');
    writeFileSync(file, Buffer.alloc(5 * 1024 * 1024 + 3, 7));
    writeFileSync(`${file}.asc`, await key.sign(file));
    const home = path.join(work, 'gnupg');
    mkdirSync(home, { mode: 0o700 });
    const gpg = (...args: string[]) =>
      execFileSync('gpg', ['--batch', '--homedir', home, '--status-fd', '1', ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    gpg('--import', path.join(work, 'sig-root/var/lib/blueprint/local-key/public.asc'));
    expect(gpg('--verify', `${file}.asc`, file)).toContain(`VALIDSIG ${fpr.toUpperCase()}`);
    writeFileSync(file, Buffer.alloc(5 * 1024 * 1024 + 3, 8));
    expect(() => gpg('--verify', `${file}.asc`, file)).toThrow();
  });
});

describe('the box key is trusted for local packages only', () => {
  const root = path.join(work, 'root');
  const secret = path.join(root, 'var/lib/blueprint/local-key/secret.asc');
  const box = openBox(root, { yes: true });

  it('a repository index signed with the box key is refused, even with its key file copied to the keyring', async () => {
    const local = (await box.models.localKey())!.fingerprint;
    const repo = path.join(work, 'evil-repo');
    const src = makeSource(path.join(work, 'evil-src'), { name: 'evil', version: '1.0.0' });
    const { buildRepository } = await import('../../src/core/pkg/build.js');
    await buildRepository({ sources: [src], repoDir: repo, name: 'evil', signer: { keyFile: secret } });
    // Binding a repository to it: the key is not a trusted publisher key.
    await expect(box.repos.add('evil', repo, { keys: [local] })).rejects.toThrow(/not trusted/);
    // Trusting it as a publisher key: refused, it is the box's own.
    const pub = readFileSync(path.join(root, 'var/lib/blueprint/local-key/public.asc'), 'utf8');
    await expect(box.keys.trust(pub, { fingerprint: local })).rejects.toMatchObject({ code: 'local-key' });
    // Copied into the keyring folder by hand: still no repository may use it.
    mkdirSync(path.join(root, 'etc/blueprint/keys'), { recursive: true });
    copyFileSync(
      path.join(root, 'var/lib/blueprint/local-key/public.asc'),
      path.join(root, `etc/blueprint/keys/${local}.asc`),
    );
    await box.repos.add('evil', repo);
    const [outcome] = await box.packages.update();
    expect(outcome).toMatchObject({ repo: 'evil', ok: false });
    await expect(box.packages.install(['evil'])).rejects.toThrow();
    expect(existsSync(path.join(root, 'opt/blueprint/evil'))).toBe(false);
    await rm(path.join(root, `etc/blueprint/keys/${local}.asc`));
    await box.repos.remove('evil');
  });

  it('a package of a trusted repository signed with the box key is refused', async () => {
    const key = await makeKey(path.join(work, 'repo-key'));
    const repo = path.join(work, 'good-repo');
    await buildRepo(repo, key, [
      makeSource(path.join(work, 'good-src'), { name: 'swapped', version: '1.0.0' }),
    ]);
    // The package's own signature replaced by one made with the box key (the index still lists it).
    const bpkg = path.join(repo, 'pool/swapped/swapped_1.0.0_all.bpkg');
    await signFile(bpkg, { keyFile: secret });
    await box.keys.trust(key.publicKey, { fingerprint: key.fingerprint });
    await box.repos.add('main', repo);
    expect((await box.packages.update())[0]).toMatchObject({ ok: true });
    await expect(box.packages.install(['swapped'])).rejects.toMatchObject({ exitCode: 4 });
    expect(existsSync(path.join(root, 'opt/blueprint/swapped'))).toBe(false);
  });

  it('no repository can be named local (where local packages would upgrade from)', async () => {
    await expect(box.repos.add('local', path.join(work, 'good-repo'))).rejects.toMatchObject({ exitCode: 2 });
  });
});

describe('the command (the built executable)', () => {
  it('--help, --json, and the exit codes of its refusals', async () => {
    const help = await run(['model', 'import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('blueprint model import [options] FILE.gguf');
    expect(help.stdout).toContain('--name NAME');
    const root = path.join(work, 'cli-root');
    const ok = await run(['--root', root, '--json', 'model', 'import', Q8, '--name', 'cli-q8']);
    expect(ok.code, ok.stderr).toBe(0);
    const imported = JSON.parse(ok.stdout);
    expect(imported).toMatchObject({ package: 'model-cli-q8', origin: 'local' });
    const key = await run(['--root', root, '--json', 'model', 'key']);
    expect(JSON.parse(key.stdout)).toEqual({ fingerprint: imported.signer });
    expect((await run(['--root', path.join(work, 'no-key-root'), 'model', 'key'])).code).toBe(3);
    const list = await bpkg(root, ['--json', 'list']);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'model-cli-q8', origin: 'local' }]);
    const taken = await run(['--root', root, 'model', 'import', F32, '--name', 'cli-q8']);
    expect(taken.code).toBe(5);
    expect(taken.stderr).toContain('model-cli-q8 is already installed');
    const notGguf = await run(['--root', root, 'model', 'import', '/etc/hostname', '--name', 'host']);
    expect(notGguf.code).toBe(4);
    expect(notGguf.stderr).toContain('is not a GGUF model file');
    expect((await run(['--root', root, 'model', 'import', Q8])).code).toBe(2);
    expect(leftovers(root)).toEqual([]);
  });
});
