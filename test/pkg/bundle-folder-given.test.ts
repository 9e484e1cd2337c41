import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bpkg, GOOD, run, signedRepo, type TestKey, tempDir, trustingRoot } from '../helpers/pkg.js';

/**
 * The air-gapped box's first try with the USB stick `bpkg bundle` wrote: `bpkg install /media/stick`
 * (or its repository folder, stick/main) said 'stick is a folder, not a file' with 'Pass the path of
 * a .bpkg file: stick holds none.' (the packages are two folders down, and installing them one by
 * one is not how a bundle is read). Now it says the folder is a bundle and gives the steps that read
 * it as a repository, the key step only when this box does not trust its key yet. The steps are
 * then run as given, and the install works. The real executable, as bpkg.
 */
let key: TestKey;
let stick: string;
let fpr: string;

beforeAll(async () => {
  let repo: string;
  ({ key, repo } = await signedRepo([GOOD]));
  const publisher = await trustingRoot(key, repo);
  stick = path.join(tempDir('bp-bundle-given-'), 'stick');
  const made = await bpkg(publisher, ['bundle', 'good', '--out', stick]);
  expect(made.code, made.stderr).toBe(0);
  fpr = key.fingerprint.toUpperCase();
});

describe('bpkg install of a bundle folder', () => {
  it("the stick: says it is a bundle; the key step, then the repository's; following them installs", async () => {
    const root = tempDir('bp-bundle-air-');
    const r = await bpkg(root, ['install', stick]);
    expect(r.code, r.stderr).toBe(2);
    const repoDir = path.join(stick, 'main');
    expect(r.stderr).toContain(
      `error: ${stick} holds a package bundle (${repoDir}, as \`bpkg bundle\` writes it), not a package file`,
    );
    const keyFile = path.join(repoDir, 'keys', `${key.fingerprint.toLowerCase()}.pub.asc`);
    expect(r.stderr).toContain(
      `hint: Read it as a repository: check the fingerprint ${fpr} with the publisher, then \`bpkg --root ${root} key add ${keyFile} --fingerprint ${fpr}\`, \`bpkg --root ${root} repo add usb ${repoDir} --key ${fpr}\`, \`bpkg --root ${root} update\` and \`bpkg --root ${root} install NAME\`.`,
    );
    for (const step of [
      ['key', 'add', keyFile, '--fingerprint', fpr],
      ['repo', 'add', 'usb', repoDir, '--key', fpr],
      ['update'],
      ['install', 'good'],
    ]) {
      const s = await bpkg(root, step);
      expect(s.code, `${step.join(' ')}: ${s.stderr}`).toBe(0);
    }
  });

  it('its repository folder, on a box that trusts the key: no key step', async () => {
    const root = tempDir('bp-bundle-air-');
    const keyFile = path.join(stick, 'main', 'keys', `${key.fingerprint.toLowerCase()}.pub.asc`);
    expect((await bpkg(root, ['key', 'add', keyFile, '--fingerprint', fpr])).code).toBe(0);
    const repoDir = path.join(stick, 'main');
    const r = await bpkg(root, ['install', `${repoDir}/`]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`error: ${repoDir}/ is a package bundle (as \`bpkg bundle\` writes it)`);
    expect(r.stderr).toContain(
      `hint: Read it as a repository: \`bpkg --root ${root} repo add usb ${repoDir} --key ${fpr}\`, \`bpkg --root ${root} update\` and \`bpkg --root ${root} install NAME\`.`,
    );
  });

  // `bpkg repo add usb /media/stick` (the bundle's top, not stick/main) was taken, and `bpkg update`
  // then said 'usb: not updated: STICK/index.json not found', hint 'Check the repository path.'.
  it('repo add of the bundle folder rather than its repository: refused, naming the folder to add', async () => {
    const root = tempDir('bp-bundle-air-');
    const repoDir = path.join(stick, 'main');
    const keyFile = path.join(repoDir, 'keys', `${key.fingerprint.toLowerCase()}.pub.asc`);
    expect((await bpkg(root, ['key', 'add', keyFile, '--fingerprint', fpr])).code).toBe(0);
    const r = await bpkg(root, ['repo', 'add', 'usb', stick, '--key', fpr]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(
      `error: ${stick} holds its repository in ${repoDir}, not at its top (as \`bpkg bundle\` writes it)`,
    );
    expect(r.stderr).toContain(
      `hint: Add that folder: \`bpkg --root ${root} repo add usb ${repoDir} --key ${fpr}\``,
    );
    expect((await bpkg(root, ['repo', 'list', '--json'])).stdout.trim()).toBe('[]');
    const s = await bpkg(root, ['repo', 'add', 'usb', repoDir, '--key', fpr]);
    expect(s.code, s.stderr).toBe(0);
    expect((await bpkg(root, ['update'])).code).toBe(0);
  });

  // The same folder in an apply file: the refusal above came mid-apply (the key already trusted),
  // its hint a bpkg command where the file's url is what to change. The plan refuses it first.
  it('apply with the bundle folder as a repository url: refused at the plan, naming the url to give', async () => {
    const root = tempDir('bp-bundle-apply-');
    const file = path.join(tempDir('bp-bundle-apply-f-'), 'box.yaml');
    writeFileSync(
      file,
      `hostname: box-01\nrepositories:\n  - { name: usb, url: "file://${stick}", key: "${key.publicFile}", fingerprint: "${fpr}" }\n`,
    );
    for (const dry of [['--dry-run'], []]) {
      const r = await run(['--root', root, 'apply', '-f', file, ...dry]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(
        `error: repositories.0.url: file://${stick} holds its repository in ${path.join(stick, 'main')}, not at its top (as \`bpkg bundle\` writes it)`,
      );
      expect(r.stderr).toContain(
        `hint: Give that folder as the repository's url: file://${path.join(stick, 'main')}`,
      );
      expect(readdirSync(root)).toEqual([]);
    }
  });

  it('a plain folder keeps its hint', async () => {
    const r = await bpkg(tempDir('bp-bundle-air-'), ['install', tempDir('bp-bundle-plain-')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^hint: Pass the path of a \.bpkg file: .* holds none\./m);
  });
});
