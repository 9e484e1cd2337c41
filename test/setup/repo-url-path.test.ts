/**
 * A repository named by its folder in `apply -f` / `setup --answers` (url: /media/usb/repo, as
 * `bpkg repo add` takes it): refused with 'must be an http(s):// or file:// URL', and nothing said
 * how to write a folder. Now the message gives the folder's URL form (file:///media/usb/repo).
 * Exit 2 and nothing written, as before. The real executable.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/pkg.js';
import { tempDir } from './temp-registry.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me';
const SETUP = `hostname: box-01
admin: { name: ops, keys: ["${KEY}"] }
repository: { name: main, url: /media/usb/repo, key: k.asc }
`;
const APPLY = `hostname: box-01
users: [{ name: ops, keys: ["${KEY}"] }]
repositories: [{ name: main, url: /media/usb/repo, key: k.asc }]
`;

describe('a repository url that is a folder path', () => {
  it.each([
    ['setup', '--answers'],
    ['apply', '-f'],
  ] as const)('%s: the message says how to write it as a URL', async (cmd, flag) => {
    const root = tempDir('bp-url-path-');
    const file = path.join(tempDir('bp-url-path-f-'), 'box.yaml');
    writeFileSync(file, cmd === 'apply' ? APPLY : SETUP);
    const r = await run(['--root', root, cmd, flag, file]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /url: must be an http\(s\):\/\/ or file:\/\/ URL \(a folder: file:\/\/\/media\/usb\/repo\)/,
    );
    expect(readdirSync(root)).toEqual([]);
  });
});
