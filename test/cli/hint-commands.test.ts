/**
 * A hint that names a command which does not exist sends the admin nowhere (the disk-full hint
 * named `bpkg clean` before there was one). Every `bpkg …` / `blueprint …` quoted in backticks in
 * src/core, src/present, src/app and src/cli (errors' hints, messages, help, what a module
 * template writes) is held to the CLI's own command table: the command, its sub-command for a
 * group, and each --option.
 * Arguments in capitals or other words after a plain command are not judged: those are the
 * command's own positionals (`bpkg repo add NAME URL`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CommandGroup, type CommandSpec, isGroup } from '../../src/cli/command.js';
import { topLevel } from '../../src/cli/commands/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
/** Options every command takes (src/cli/help-text.ts GLOBAL_HELP). */
const GLOBAL = new Set(['root', 'json', 'yes', 'quiet', 'no-color', 'help', 'version']);

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** `bpkg install --yes NAME` as quoted: in plain text or a template literal (\`…\`). */
function quotedCommands(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\\?`((?:bpkg|blueprint) [^`\\]+)\\?`/g)) found.push(m[1]!.trim());
  return found;
}

async function table(): Promise<Map<string, CommandGroup | CommandSpec>> {
  const t = new Map<string, CommandGroup | CommandSpec>();
  for (const e of topLevel) t.set(e.name, await e.load());
  return t;
}

/** Why `cmd` does not name a real command, or undefined when it does. */
function judge(cmd: string, top: Map<string, CommandGroup | CommandSpec>): string | undefined {
  // A placeholder where a command goes (`blueprint service ${cmd}`, `blueprint rag ...`,
  // `blueprint help [COMMAND...]`) names none: the words before it are judged, the rest not.
  const all = cmd.split(/\s+/);
  const cut = all.findIndex((w) => w.includes('${') || w === '...' || w.startsWith('['));
  const words = cut < 0 ? all : all.slice(0, cut);
  const prog = words.shift();
  // `blueprint help X` and `bpkg help X` (as git and podman take them) name X.
  if (words[0] === 'help') words.shift();
  let entry: CommandGroup | CommandSpec | undefined = prog === 'bpkg' ? top.get('pkg') : undefined;
  if (prog === 'blueprint') {
    const first = words.shift() ?? '';
    if (first === '' || (first.startsWith('-') && GLOBAL.has(first.replace(/^-+/, '')))) return undefined;
    entry = top.get(first);
    if (!entry) return `no command ${first}`;
  }
  if (!entry) return 'unknown program';
  // The group the words reached (`bpkg key add`: pkg, then its key group), until a command.
  let at: CommandGroup | CommandSpec = entry;
  const options = new Set(GLOBAL);
  for (const w of words) {
    if (w.startsWith('--')) {
      const name = w.slice(2).split('=')[0]!;
      // `bpkg --help`, `bpkg key --help`: a group's own help is a real command.
      if (name === 'help') return undefined;
      if (isGroup(at)) return `${w} before a sub-command`;
      for (const o of Object.keys(at.options ?? {})) options.add(o);
      if (!options.has(name)) return `no option ${w}`;
      continue;
    }
    if (isGroup(at)) {
      // `blueprint system status|update|rollback`: each alternative must exist.
      let next: CommandGroup | CommandSpec | undefined;
      for (const alt of w.split('|')) {
        next = (at as CommandGroup).commands.find((c) => c.name === alt);
        if (!next) return `${at.name} has no sub-command ${alt}`;
      }
      at = next!;
    }
  }
  // A group named with no sub-command: the program's own alone (`bpkg`), or one whose name alone runs one.
  if (isGroup(at) && words.length > 0 && !(at !== entry && at.bare)) return 'no sub-command';
  return undefined;
}

describe('commands named in hints exist', () => {
  it('finds quoted commands in plain text and template literals', () => {
    expect(quotedCommands('Free some (`bpkg clean` or `bpkg remove NAME`)')).toEqual([
      'bpkg clean',
      'bpkg remove NAME',
    ]);
    // A template literal's source: the backticks escaped, a placeholder in the arguments.
    const source = ['run \\`blueprint service logs $', '{name}\\`.'].join('');
    expect(quotedCommands(source)).toEqual([`blueprint service logs $${'{name}'}`]);
  });

  it('judges against the command table (a missing command or option is caught)', async () => {
    const top = await table();
    expect(judge('bpkg remove NAME', top)).toBeUndefined();
    expect(judge('bpkg install --yes NAME', top)).toBeUndefined();
    expect(judge('bpkg scrub', top)).toMatch(/no sub-command scrub/);
    expect(judge('blueprint system status|rollback', top)).toBeUndefined();
    expect(judge('blueprint system status|scrub', top)).toMatch(/no sub-command scrub/);
    expect(judge('blueprint service frobnicate x', top)).toMatch(/no sub-command/);
    expect(judge('bpkg remove --wipe NAME', top)).toMatch(/no option --wipe/);
    expect(judge('blueprint nothing', top)).toMatch(/no command nothing/);
    expect(judge('blueprint rag ...', top)).toBeUndefined();
    expect(judge('blueprint nothing ...', top)).toMatch(/no command nothing/);
    expect(judge('blueprint help service start', top)).toBeUndefined();
    expect(judge('blueprint help [COMMAND...]', top)).toBeUndefined();
    expect(judge('bpkg help', top)).toBeUndefined();
    expect(judge('blueprint help nothing', top)).toMatch(/no command nothing/);
    // A group in a group (bpkg key, bpkg repo): its sub-command and that one's options.
    expect(judge('bpkg key add FILE --fingerprint FPR', top)).toBeUndefined();
    expect(judge('bpkg repo add NAME URL --key FPR --mirror URL', top)).toBeUndefined();
    expect(judge('blueprint pkg repo set-key NAME FPR', top)).toBeUndefined();
    expect(judge('bpkg key', top)).toBeUndefined();
    expect(judge('bpkg key frob', top)).toMatch(/key has no sub-command frob/);
    expect(judge('bpkg key list --fingerprint FPR', top)).toMatch(/no option --fingerprint/);
    expect(judge('bpkg repo remove NAME --key FPR', top)).toMatch(/no option --key/);
    expect(judge('bpkg repo --key FPR', top)).toMatch(/before a sub-command/);
    expect(judge('bpkg --help', top)).toBeUndefined();
    expect(judge('bpkg key --help', top)).toBeUndefined();
  });

  it('every `bpkg …` and `blueprint …` in src/core and src/present (src/core, present, app, cli) names a real command', async () => {
    const top = await table();
    const bad: string[] = [];
    let seen = 0;
    for (const file of ['src/core', 'src/present', 'src/app', 'src/cli'].flatMap(sources)) {
      for (const cmd of quotedCommands(readFileSync(path.join(repoRoot, file), 'utf8'))) {
        seen++;
        const why = judge(cmd, top);
        if (why) bad.push(`${file}: \`${cmd}\`: ${why}`);
      }
    }
    expect(seen).toBeGreaterThan(30);
    expect(bad).toEqual([]);
  });
});
