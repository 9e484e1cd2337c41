/**
 * A box's first `bpkg update` (issue 20): answered from the lazy part (scripts/build-options.mjs
 * LAZY_START: compiled with its code cache, no ES module of the command part compiled from source),
 * and without node:crypto (its hashes, Ed25519 check and the box's sealing key from Node's crypto
 * binding: src/core/pkg/crypto-lite.ts) or node:stream (a folder's index read whole:
 * src/core/pkg/transport.ts fileBytes). Observed from inside the executable: a preload writes at
 * exit which of Node's modules were loaded and which SEA assets were read.
 */
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { PackageManager } from '../../src/core/pkg/index.js';
import { bpkg, lists, signedRepo, type TestKey, tempDir } from '../helpers/pkg.js';
import { atExit, preloadFile, preloading, probed } from './probe.js';

// The SEA assets read are recorded as they are asked for: each ES module of the command part is one.
const PROBE = atExit(
  `{ builtins: ['crypto', 'stream'].filter((m) => process.moduleLoadList.includes('NativeModule ' + m)), assets }`,
  `const sea = require('node:sea');
const assets = [];
const getAsset = sea.getAsset;
sea.getAsset = function (name, ...rest) { assets.push(name); return getAsset.call(this, name, ...rest); };
`,
);

let key: TestKey;
let repo: string;
beforeAll(async () => {
  ({ key, repo } = await signedRepo([{ name: 'good', version: '1.0.0', summary: 'a package' }]));
}, 60_000);

describe("a box's first update", () => {
  it('runs from the lazy part, without node:crypto or node:stream, and keeps the verified index', async () => {
    const root = tempDir('bp-root-');
    const pm = new PackageManager({ root });
    await pm.keyring.add(key.publicKey, key.fingerprint);
    await pm.repos.add('main', repo);
    const r = await bpkg(root, ['update'], preloading(preloadFile(PROBE)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^main: updated to version 1 \(1 packages?\)/m);
    // The box's files a first update makes: its sealing key among them (made without node:crypto).
    expect(readdirSync(lists(root)).sort()).toEqual(['.cache-key', 'keyring.json', 'main']);
    expect(existsSync(lists(root, 'main/index.json'))).toBe(true);
    // The lazy part alone: no ES module of the command part (core-pkg-update.mjs and its chunks).
    expect(probed(r.stderr)).toEqual({ builtins: [], assets: ['lazy-start.cjs'] });
  }, 60_000);
});
