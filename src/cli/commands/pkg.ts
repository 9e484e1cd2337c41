import type { CommandGroup } from '../command.js';

export const pkgGroup: CommandGroup = { name: 'pkg', summary: 'Package manager', commands: [] };
