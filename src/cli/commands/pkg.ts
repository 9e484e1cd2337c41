/**
 * `bpkg` (`blueprint pkg`): its commands, each file one job: pkg-change.ts (install, remove,
 * autoremove, upgrade, rollback), pkg-query.ts (list, search, info, update), pkg-repo.ts (repo,
 * bundle), pkg-key.ts (key), pkg-upkeep.ts (verify, recover, clean). `bpkg search WORD` and `bpkg
 * update` are first answered without loading them (pkg-quick.ts).
 */
import type { CommandGroup } from '../command.js';
import { autoremove, install, remove, rollback, upgrade } from './pkg-change.js';
import { key } from './pkg-key.js';
import { info, list, search, update } from './pkg-query.js';
import { bundle, repo } from './pkg-repo.js';
import { clean, recover, verify } from './pkg-upkeep.js';

export const pkgGroup: CommandGroup = {
  name: 'pkg',
  summary: 'bpkg: the BlueprintOS package manager. Every byte is OpenPGP-verified against trusted keys.',
  commands: [
    install,
    remove,
    autoremove,
    list,
    search,
    info,
    update,
    upgrade,
    rollback,
    verify,
    bundle,
    repo,
    key,
    recover,
    clean,
  ],
};
