/**
 * checkRoot (src/core/pkg/update-fast.ts), which every package command and the quick update run
 * before writing: its lstat-only answer for a root with no link below it must be the judgement
 * assertInsideRootSync makes (src/core/system/fs.ts), in every shape of links, files and absent
 * folders, and a quick update must never write through a link that leads out of the root.
 */
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { quickUpdate } from '../../src/app/pkg-quick.js';
import { checkRoot } from '../../src/core/pkg/update-fast.js';
import { assertInsideRootSync } from '../../src/core/system/fs.js';
import { layout, managedDirs } from '../../src/core/system/paths.js';
import { buildRepo, makeKey, makeSource, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

/** What a judge does with a root: passes (undefined) or the error's code. */
function verdict(judge: () => void): string | undefined {
  try {
    judge();
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

const slow = (root: string) => {
  const l = layout(root);
  return verdict(() => assertInsideRootSync(l.root, managedDirs(l), { children: [l.optDir] }));
};

/** Folders a box has, each made real; then `shape` changes the root. */
function rootWith(shape: (root: string, outside: string) => void): string {
  const root = tempDir('bp-rootcheck-');
  const outside = tempDir('bp-elsewhere-');
  for (const d of [
    'etc/blueprint/keys',
    'etc/blueprint/repos.d',
    'var/lib/blueprint/pkg/lists',
    'opt/blueprint/tool',
  ])
    mkdirSync(path.join(root, d), { recursive: true });
  shape(root, outside);
  return root;
}

/** `rel` under the root moved outside and linked back there. */
const moveOut = (rel: string) => (root: string, outside: string) => {
  mkdirSync(path.join(root, rel), { recursive: true });
  renameSync(path.join(root, rel), path.join(outside, 'moved'));
  symlinkSync(path.join(outside, 'moved'), path.join(root, rel));
};

const SHAPES: [string, (root: string, outside: string) => void, string | undefined][] = [
  ['a plain box', () => {}, undefined],
  ['a box with no folders yet', (root) => renameSync(path.join(root, 'etc'), `${root}-etc-gone`), undefined],
  ['ROOT/opt -> outside', moveOut('opt'), 'link-outside-root'],
  ['ROOT/var -> outside', moveOut('var'), 'link-outside-root'],
  ['ROOT/etc/blueprint/keys -> outside', moveOut('etc/blueprint/keys'), 'link-outside-root'],
  ['ROOT/var/cache/blueprint -> outside', moveOut('var/cache/blueprint'), 'link-outside-root'],
  ['ROOT/run/blueprint -> outside', moveOut('run/blueprint'), 'link-outside-root'],
  ['ROOT/var/lib/blueprint/modules -> outside', moveOut('var/lib/blueprint/modules'), 'link-outside-root'],
  ['ROOT/opt/blueprint/tool -> outside', moveOut('opt/blueprint/tool'), 'link-outside-root'],
  [
    'a dangling link at ROOT/var/cache',
    (root, outside) => symlinkSync(path.join(outside, 'nothing-here'), path.join(root, 'var/cache')),
    'link-outside-root',
  ],
  [
    'ROOT/opt -> var/opt (a link that stays inside)',
    (root) => {
      mkdirSync(path.join(root, 'var/opt'), { recursive: true });
      renameSync(path.join(root, 'opt/blueprint'), path.join(root, 'var/opt/blueprint'));
      renameSync(path.join(root, 'opt'), path.join(root, 'opt-old'));
      symlinkSync(path.join(root, 'var/opt'), path.join(root, 'opt'));
    },
    undefined,
  ],
  [
    'ROOT/opt/blueprint/tool -> ROOT/var (inside)',
    (root) => {
      renameSync(path.join(root, 'opt/blueprint/tool'), path.join(root, 'var/tool'));
      symlinkSync(path.join(root, 'var/tool'), path.join(root, 'opt/blueprint/tool'));
    },
    undefined,
  ],
  ['a file at ROOT/run', (root) => writeFileSync(path.join(root, 'run'), 'x'), undefined],
  [
    'the root itself a link to a folder elsewhere',
    (root, outside) => {
      renameSync(root, path.join(outside, 'real-root'));
      symlinkSync(path.join(outside, 'real-root'), root);
    },
    undefined,
  ],
];

describe('checkRoot: the judgement assertInsideRootSync makes, without its walk when no link is below the root', () => {
  for (const [name, shape, expected] of SHAPES)
    it(name, () => {
      const root = rootWith(shape);
      expect(slow(root)).toBe(expected);
      expect(verdict(() => checkRoot(layout(root)))).toBe(expected);
    });
});

describe('the quick update never writes through a link out of the root', () => {
  let key: TestKey;
  let repo: string;
  beforeAll(async () => {
    key = await makeKey(path.join(tempDir(), 'key'));
    repo = path.join(tempDir(), 'repo');
    await buildRepo(repo, key, [makeSource(tempDir(), { name: 'good', version: '1.0.0' })]);
  });

  for (const rel of ['var/lib/blueprint/pkg/lists', 'var/lib/blueprint/pkg'])
    it(`ROOT/${rel} -> a copy outside: declined, meta.json outside untouched`, async () => {
      const root = await trustingRoot(key, repo);
      const outside = tempDir('bp-elsewhere-');
      const at = path.join(root, rel);
      renameSync(at, path.join(outside, 'moved'));
      symlinkSync(path.join(outside, 'moved'), at);
      const meta = path.join(root, 'var/lib/blueprint/pkg/lists/main/meta.json');
      const before = readFileSync(meta, 'utf8');
      expect(await quickUpdate(root, () => new Date(Date.now() + 60_000))).toBeUndefined();
      expect(readFileSync(meta, 'utf8')).toBe(before);
    });
});
