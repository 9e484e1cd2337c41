/**
 * Help texts: the program's, a group's and a command's. Loaded only when help is shown: every byte
 * of the start part is compiled at each command's start (test/perf/start-path.test.ts).
 */
import { escapeJson } from '../present/escape.js';
import type { CommandGroup, CommandSpec } from './command.js';
import { type TopName, topLevel } from './commands/index.js';

/** Under --json the help is one JSON document, {"help": TEXT}, so a script's jq still reads stdout. */
const shown = (text: string, json?: boolean) =>
  json ? `${escapeJson(JSON.stringify({ help: text }, null, 2))}\n` : text;

export const GLOBAL_HELP = `Global options (anywhere before \`--\`):
  --root DIR        Operate on DIR instead of / (like dpkg --root); env BLUEPRINT_ROOT
  --json            Print one JSON document on stdout; no prompts, no colours
  -y, --yes         Answer yes to confirmations
  -q, --quiet       Only print errors and warnings
  --no-color        No colours (also NO_COLOR=1, TERM=dumb or vt100/vt220)
  -h, --help        Help for the program or a command
  -V, --version     Print the version

Exit codes: 0 ok, 1 failure (also a bug in blueprint: BLUEPRINT_DEBUG=1 prints its stack),
2 bad usage (also a version range that does not parse), 3 not found (also a version no repository
has; a removal of what is not there is 0, nothing to do), 4 verification refused (signature, hash, schema, unsafe archive; also bpkg verify finding
changes, and a --root another user can change), 5 conflict (dependency, lock), 6 container engine
unavailable (status still prints the box), 7 storage (disk full, not writable),
130 interrupted (143 by SIGTERM; also a command that ran to its end past the signal; the console,
service watch, logs -f on Ctrl-C, dashboard, and a package change the signal reached while it
committed end with 0).`;

/**
 * Each top-level command's line in the program's help. Here, not beside its loader in
 * commands/index.ts: that is the start part, which every command compiles (start-path.test.ts).
 */
const SUMMARIES: Record<TopName, string> = {
  audit: 'Security audits: listening sockets reachable from the network, the SBOM',
  dashboard: 'Web dashboard on a unix socket, reached with ssh -L (`dashboard url`: a login link)',
  doctor: 'Check the container engine and sandbox prerequisites, with exact fixes',
  gpu: 'GPUs on this box and whether services can use them (JSON with --json)',
  module: 'Write modules: `module new NAME` scaffolds one, `module lint PATH` checks it',
  model:
    "Language models: `model list` shows those installed; `model import FILE.gguf --name NAME` signs one with this box's key and installs it",
  pkg: 'Package manager: install, remove, update, verify (also run as `bpkg`)',
  apply: 'Make the box match appliance.yaml (hostname, users, SSH, repositories, modules)',
  rag: 'Documents in, answers with sources out: `rag ingest PATH...`, `rag ask QUESTION` (the rag module)',
  repo: 'Publish a repository: generate keys, build and sign packages',
  service: 'Sandboxed AI services: start, stop, restart, status, logs, inspect',
  setup: 'First-boot setup wizard (or --answers FILE for no prompts)',
  status: 'One-screen summary of the box (JSON with --json)',
  system: 'The OS itself: A/B slots, signed system updates (`system update FILE`), rollback',
  tui: 'Open the interactive interface (default on a terminal)',
  version: 'Print the version',
};

export function topHelp(prog: string, out?: { json: boolean }): string {
  const width = Math.max(...topLevel.map((c) => c.name.length)) + 2;
  const text = [
    `Usage: ${prog} [global options] COMMAND [options]`,
    '',
    'BlueprintOS: manage this appliance (packages, sandboxed AI services, GPUs, setup).',
    'With no command on a terminal, opens the interactive interface.',
    '',
    'Commands:',
    ...topLevel.map((c) => `  ${c.name.padEnd(width)} ${SUMMARIES[c.name]}`),
    '',
    GLOBAL_HELP,
    '',
    `Run \`${prog} COMMAND --help\` for more.`,
    '',
  ].join('\n');
  return shown(text, out?.json);
}

export function commandHelp(spec: CommandSpec, prog: string, out?: { json: boolean }): string {
  const lines = [
    // -h and the global options apply to every command: [options] on each usage line alike.
    `Usage: ${prog} ${spec.name} [options]${spec.args ? ` ${spec.args}` : ''}`,
    '',
  ];
  lines.push(spec.summary, '');
  const opts = Object.entries(spec.options ?? {});
  lines.push('Options:');
  for (const [name, o] of opts) {
    const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
    lines.push(`  ${flag.padEnd(28)} ${o.description}`);
  }
  lines.push(`  ${'-h, --help'.padEnd(28)} Show this help`);
  if (spec.details) lines.push('', spec.details.trim());
  return shown(`${lines.join('\n')}\n`, out?.json);
}

/**
 * `withGlobals`: the group is the program itself (`bpkg`, blueprint's pkg under its own name), whose
 * help is the only one its users read first: the global options and exit codes, as `blueprint --help`.
 */
export function groupHelp(
  group: CommandGroup,
  prog: string,
  out?: { json: boolean },
  withGlobals = false,
): string {
  const width = Math.max(...group.commands.map((c) => c.name.length)) + 2;
  const text = [
    `Usage: ${prog} COMMAND [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...group.commands.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    '',
    ...(withGlobals ? [GLOBAL_HELP, ''] : []),
    ...(group.bare ? [`\`${prog}\` alone: \`${prog} ${group.bare}\`.`] : []),
    `Run \`${prog} COMMAND --help\` for the options of one command.`,
    '',
  ].join('\n');
  return shown(text, out?.json);
}
