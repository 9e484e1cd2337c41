/**
 * rag names its vectors collections in their metadata, which vectors 0.1.0 did not keep (an ingest
 * into a new collection was then a 503 naming the upgrade: vectors-without-metadata.test.ts). The
 * vectors that keeps it has its own version and rag's `uses` asks for it, so the package manager
 * and `service start` see the mismatch before rag runs: `bpkg install rag` upgrades an older
 * vectors, or refuses naming the range when the repository has none newer, and `service start rag`
 * beside vectors 0.1.0 refuses before starting. The manifests are the modules' own; the packages
 * are built by the repo build and installed by bpkg, the built executable.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { satisfies } from 'semver';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseService } from '../../src/core/services/schema.js';
import {
  bpkg,
  buildRepo,
  makeKey,
  makeSource,
  repoRoot,
  run,
  type TestKey,
  tempDir,
  trustingRoot,
} from '../helpers/pkg.js';

const manifest = (m: string) =>
  JSON.parse(readFileSync(path.join(repoRoot, 'modules', m, 'manifest.json'), 'utf8')) as {
    version: string;
    uses?: string[];
  };
const rag = manifest('rag');
/** A module's service section as its manifest has it. */
const service = (m: string) =>
  (
    JSON.parse(readFileSync(path.join(repoRoot, 'modules', m, 'manifest.json'), 'utf8')) as {
      service: object;
    }
  ).service;
const vectors = manifest('vectors');
/** The vectors from before collection metadata. */
const OLD = '0.1.0';
/** The first vectors that keeps it: what rag's range asks for (a later vectors is in range, not required). */
const KEEPS_METADATA = '0.2.0';

let key: TestKey;
let srcs: string;
const pkg = (name: string, version: string, extra: Record<string, unknown> = {}) =>
  makeSource(srcs, { name, version, manifestExtra: extra });

beforeAll(async () => {
  const dir = tempDir('bp-rag-uses-vec-');
  key = await makeKey(path.join(dir, 'key'));
  srcs = path.join(dir, 'src');
});

/** A box with vectors 0.1.0 installed, from a repository holding rag and `more` besides it. */
async function boxWithOldVectors(more: string[]): Promise<string> {
  const repo = tempDir('bp-rag-uses-repo-');
  await buildRepo(repo, key, [
    pkg('vectors', OLD),
    pkg('embeddings', '0.1.0'),
    pkg('llm', '0.1.0'),
    pkg('rag', rag.version, { uses: rag.uses }),
    ...more,
  ]);
  const root = await trustingRoot(key, repo);
  const first = await bpkg(root, ['install', `vectors@${OLD}`]);
  expect(first.code, first.stderr).toBe(0);
  return root;
}

describe("rag's uses ask for the vectors that keeps collection metadata", () => {
  it('the versions say it: vectors is newer than 0.1.0 and rag refuses 0.1.0', () => {
    const range = rag.uses?.find((u) => u.startsWith('vectors'));
    expect(range).toBe(`vectors>=${KEEPS_METADATA},<1.0.0`);
    expect(vectors.version).not.toBe(OLD);
    expect(satisfies(vectors.version, range?.slice('vectors'.length).replace(',', ' ') ?? '')).toBe(true);
  });

  it('bpkg install rag upgrades an older vectors to one in range', async () => {
    const root = await boxWithOldVectors([pkg('vectors', vectors.version)]);
    const r = await bpkg(root, ['--json', 'install', 'rag']);
    expect(r.code, r.stderr).toBe(0);
    const list = await bpkg(root, ['--json', 'list']);
    const got = Object.fromEntries(
      (JSON.parse(list.stdout) as { name: string; version: string }[]).map((p) => [p.name, p.version]),
    );
    expect(got).toMatchObject({ rag: rag.version, vectors: vectors.version });
  });

  it('bpkg install rag beside a vectors kept at 0.1.0 refuses, naming vectors and the range', async () => {
    const root = await boxWithOldVectors([pkg('vectors', vectors.version)]);
    const r = await bpkg(root, ['install', 'rag', `vectors@${OLD}`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`>=${KEEPS_METADATA} <1.0.0 (needed by rag)`);
    const list = await bpkg(root, ['--json', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'vectors', version: OLD })]);
  });

  it('a box of the older rag and vectors (both 0.1.0) takes both to the new ones at bpkg upgrade', async () => {
    const repo = tempDir('bp-rag-uses-repo-');
    const older = [
      pkg('vectors', OLD),
      pkg('embeddings', '0.1.0'),
      pkg('llm', '0.1.0'),
      pkg('rag', OLD, { uses: ['embeddings>=0.1.0,<1.0.0', 'vectors>=0.1.0,<1.0.0', 'llm>=0.1.0,<1.0.0'] }),
    ];
    await buildRepo(repo, key, older);
    const root = await trustingRoot(key, repo);
    expect((await bpkg(root, ['install', 'rag'])).code).toBe(0);
    await buildRepo(repo, key, [
      ...older,
      pkg('vectors', vectors.version),
      pkg('rag', rag.version, { uses: rag.uses }),
    ]);
    expect((await bpkg(root, ['update'])).code).toBe(0);
    const r = await bpkg(root, ['upgrade']);
    expect(r.code, r.stderr).toBe(0);
    const list = await bpkg(root, ['--json', 'list']);
    const got = Object.fromEntries(
      (JSON.parse(list.stdout) as { name: string; version: string }[]).map((p) => [p.name, p.version]),
    );
    expect(got).toMatchObject({ rag: rag.version, vectors: vectors.version });
  });
});

describe('service start rag beside vectors 0.1.0', () => {
  it('refuses before starting, naming the installed vectors and what rag needs', async () => {
    const root = tempDir('bp-rag-uses-start-');
    const register = (name: string, version: string, uses?: string[]) => {
      const prefix = path.join(root, 'opt/blueprint', name, version);
      mkdirSync(prefix, { recursive: true });
      const dir = path.join(root, 'var/lib/blueprint/services', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(
        path.join(dir, `${version}.json`),
        JSON.stringify({
          name,
          version,
          prefix,
          imageId: `sha256:${'a'.repeat(64)}`,
          approvals: { outboundNetwork: false },
          ...(uses ? { uses } : {}),
          spec: parseService({ image: { id: `sha256:${'a'.repeat(64)}` }, ...service(name) }),
        }),
      );
    };
    register('embeddings', '0.1.0');
    register('llm', '0.1.0');
    register('vectors', OLD);
    register('rag', rag.version, rag.uses);
    const r = await run(['--root', root, '--json', 'service', 'start', 'rag']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `rag uses vectors >=${KEEPS_METADATA} <1.0.0, but vectors ${OLD} is installed`,
    );
    expect(r.stderr).toContain(`hint: Upgrade vectors: \`bpkg --root ${root} upgrade vectors\``);
  });
});
