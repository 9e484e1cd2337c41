// The hostile archives a package manager must refuse, each with the words its refusal names: shared
// by test/pkg/attacks.test.ts (the library) and test/arm64/archive-attacks.test.ts (the executable).
import { manifestJson, type RawEntry } from './pkg.js';

const evilManifest = { path: 'manifest.json', data: manifestJson('evil', '1.0.0') };

export const hostileArchives: Array<[string, RawEntry[], RegExp]> = [
  ['../ path', [evilManifest, { path: 'payload/../../../etc/passwd', data: 'x' }], /climbs out/],
  ['absolute path', [evilManifest, { path: '/etc/evil', data: 'x' }], /absolute path/],
  [
    'symlink pointing outside',
    [evilManifest, { path: 'payload/link', type: 'SymbolicLink', linkpath: '../../../../etc' }],
    /points outside/,
  ],
  [
    'absolute symlink',
    [evilManifest, { path: 'payload/link', type: 'SymbolicLink', linkpath: '/etc/shadow' }],
    /points outside/,
  ],
  [
    'write through a symlink',
    [
      evilManifest,
      { path: 'payload/d', type: 'Directory' },
      { path: 'payload/l', type: 'SymbolicLink', linkpath: 'd' },
      { path: 'payload/l/x', data: 'x' },
    ],
    /through a symlink/,
  ],
  ['hard link', [evilManifest, { path: 'payload/h', type: 'Link', linkpath: '/etc/passwd' }], /hard link/],
  ['device node', [evilManifest, { path: 'payload/null', type: 'CharacterDevice' }], /device node/],
  ['setuid bit', [evilManifest, { path: 'payload/su', data: 'x', mode: 0o4755 }], /setuid/],
  [
    'duplicate entries',
    [evilManifest, { path: 'payload/a', data: '1' }, { path: 'payload/a', data: '2' }],
    /duplicate entry/,
  ],
  ['entry outside payload/', [evilManifest, { path: 'etc/x', data: 'x' }], /unexpected entry/],
];
