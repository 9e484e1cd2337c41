import type { CommandGroup, CommandSpec } from '../command.js';
import { versionCommand } from './version.js';

/**
 * Top-level commands. Each loads its module only when run, so `blueprint --version` and `--help`
 * never pay for Ink, openpgp or dockerode.
 */
export interface TopLevelEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandGroup | CommandSpec>;
}

export const topLevel: TopLevelEntry[] = [
  {
    name: 'audit',
    summary: 'Security audits: listening sockets reachable from the network, the SBOM',
    load: async () => (await import('./audit.js')).auditGroup,
  },
  {
    name: 'dashboard',
    summary: 'Web dashboard on a unix socket, reached with ssh -L (`dashboard url`: a login link)',
    load: async () => (await import('./dashboard.js')).dashboardCommand,
  },
  {
    name: 'doctor',
    summary: 'Check the container engine and sandbox prerequisites, with exact fixes',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  {
    name: 'gpu',
    summary: 'GPUs on this box and whether services can use them (JSON with --json)',
    load: async () => (await import('./gpu.js')).gpuCommand,
  },
  {
    name: 'module',
    summary: 'Write modules: `module new NAME` scaffolds one, `module lint PATH` checks it',
    load: async () => (await import('./module.js')).moduleGroup,
  },
  {
    name: 'model',
    summary:
      "Language models: `model list` shows those installed; `model import FILE.gguf --name NAME` signs one with this box's key and installs it",
    load: async () => (await import('./model.js')).modelGroup,
  },
  {
    name: 'pkg',
    summary: 'Package manager: install, remove, update, verify (also run as `bpkg`)',
    load: async () => (await import('./pkg.js')).pkgGroup,
  },
  {
    name: 'apply',
    summary: 'Make the box match appliance.yaml (hostname, users, SSH, repositories, modules)',
    load: async () => (await import('./apply.js')).applyCommand,
  },
  {
    name: 'rag',
    summary:
      'Documents in, answers with sources out: `rag ingest PATH...`, `rag ask QUESTION` (the rag module)',
    load: async () => (await import('./rag.js')).ragGroup,
  },
  {
    name: 'repo',
    summary: 'Publish a repository: generate keys, build and sign packages',
    load: async () => (await import('./repo.js')).repoGroup,
  },
  {
    name: 'service',
    summary: 'Sandboxed AI services: start, stop, restart, status, logs, inspect',
    load: async () => (await import('./service.js')).serviceGroup,
  },
  {
    name: 'setup',
    summary: 'First-boot setup wizard (or --answers FILE for no prompts)',
    load: async () => (await import('./setup.js')).setupCommand,
  },
  {
    name: 'status',
    summary: 'One-screen summary of the box (JSON with --json)',
    load: async () => (await import('./status.js')).statusCommand,
  },
  {
    name: 'system',
    summary: 'The OS itself: A/B slots, signed system updates (`system update FILE`), rollback',
    load: async () => (await import('./system.js')).systemGroup,
  },
  {
    name: 'tui',
    summary: 'Open the interactive interface (default on a terminal)',
    load: async () => (await import('./tui.js')).tuiCommand,
  },
  {
    name: 'version',
    summary: 'Print the version',
    // Bundled with the start path (a few hundred bytes): a chunk of its own cost a module load.
    load: async () => versionCommand,
  },
];
