import type { CommandGroup } from '../command.js';

export const repoGroup: CommandGroup = { name: 'repo', summary: 'Publish a repository', commands: [] };
