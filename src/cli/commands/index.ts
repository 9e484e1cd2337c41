import type { CommandGroup, CommandSpec } from '../command.js';
import { versionCommand } from './version.js';

/** The top-level commands' names: help-text.ts's summaries name each (a type: no bytes at start). */
export type TopName =
  | 'audit'
  | 'dashboard'
  | 'doctor'
  | 'gpu'
  | 'module'
  | 'model'
  | 'pkg'
  | 'apply'
  | 'rag'
  | 'repo'
  | 'service'
  | 'setup'
  | 'status'
  | 'system'
  | 'tui'
  | 'version';

/**
 * Top-level commands. Each loads its module only when run, so `blueprint --version` and `--help`
 * never pay for Ink, openpgp or dockerode. Their summaries, which only `--help` shows, are
 * help-text.ts's: here they were ~1.8 KB of every command's start (test/perf/start-path.test.ts).
 */
export interface TopLevelEntry {
  name: TopName;
  load: () => Promise<CommandGroup | CommandSpec>;
}

export const topLevel: TopLevelEntry[] = [
  {
    name: 'audit',
    load: async () => (await import('./audit.js')).auditGroup,
  },
  {
    name: 'dashboard',
    load: async () => (await import('./dashboard.js')).dashboardCommand,
  },
  {
    name: 'doctor',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'gpu',
    load: async () => (await import('./gpu.js')).gpuCommand,
  },
  {
    name: 'module',
    load: async () => (await import('./module.js')).moduleGroup,
  },
  {
    name: 'model',
    load: async () => (await import('./model.js')).modelGroup,
  },
  {
    name: 'pkg',
    load: async () => (await import('./pkg.js')).pkgGroup,
  },
  {
    name: 'apply',
    load: async () => (await import('./apply.js')).applyCommand,
  },
  {
    name: 'rag',
    load: async () => (await import('./rag.js')).ragGroup,
  },
  {
    name: 'repo',
    load: async () => (await import('./repo.js')).repoGroup,
  },
  {
    name: 'service',
    load: async () => (await import('./service.js')).serviceGroup,
  },
  {
    name: 'setup',
    load: async () => (await import('./setup.js')).setupCommand,
  },
  {
    name: 'status',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'system',
    load: async () => (await import('./system.js')).systemGroup,
  },
  {
    name: 'tui',
    load: async () => (await import('./tui.js')).tuiCommand,
  },
  {
    name: 'version',
    // Bundled with the start path (a few hundred bytes): a chunk of its own cost a module load.
    load: async () => versionCommand,
  },
];
