import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { docFiles, repo } from './doc-files.js';

/**
 * Every `blueprint …` and `bpkg …` command the docs show (```sh blocks, and `inline` code that
 * starts with blueprint, bpkg, dist/blueprint or sudo) names subcommands and options the program
 * has: each is checked against the built executable's own `--help` for that subcommand (its
 * Commands: and Options: lists, and the global options). A renamed flag or a subcommand dropped
 * without the docs following fails here, naming the doc's line. `npm run X` names a script of
 * package.json, and a `scripts/…` path a file (scratch scripts, `scripts/_NAME-*`, are deleted by
 * design and not looked for).
 */

interface Help {
  commands: Set<string>;
  flags: Set<string>;
}

const helps = new Map<string, Help | undefined>();

function helpOf(words: string[]): Help | undefined {
  const key = words.join(' ');
  if (!helps.has(key)) {
    const r = spawnSync(blueprintExe, [...words, '--help'], { encoding: 'utf8' });
    helps.set(key, r.status === 0 ? parseHelp(r.stdout) : undefined);
  }
  return helps.get(key);
}

/** The names under `Commands:` and the flags under `Options:` / `Global options`. */
function parseHelp(text: string): Help {
  const commands = new Set<string>();
  const flags = new Set<string>();
  let section = '';
  for (const line of text.split('\n')) {
    if (/^Commands:/.test(line)) section = 'commands';
    else if (/^(Options:|Global options)/.test(line)) section = 'options';
    else if (/^\S/.test(line)) section = '';
    else if (section === 'commands') {
      const name = /^ {2}([a-z][-a-z0-9]*)/.exec(line)?.[1];
      if (name) commands.add(name);
    } else if (section === 'options') {
      for (const m of line.matchAll(/(?:^|[ ,])(--?[a-zA-Z][-a-zA-Z0-9]*)/g)) flags.add(m[1] ?? '');
    }
  }
  return { commands, flags };
}

/** Shell words, quotes removed; `[--flag]` and `[--flag VALUE]` as the flag. */
function words(command: string): string[] {
  const out: string[] = [];
  for (const m of command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    out.push((m[1] ?? m[2] ?? m[3] ?? '').replace(/^\[+/, '').replace(/\]+$/, ''));
  }
  return out;
}

/** What is wrong with one command line, or nothing. */
function problemsOf(command: string): string[] {
  const ws = words(command);
  while (ws[0] === 'sudo' || /^[A-Z_]+=/.test(ws[0] ?? '')) ws.shift();
  const program = ws.shift() ?? '';
  const sub: string[] = program === 'bpkg' || program === 'dist/bpkg' ? ['pkg'] : [];
  if (!/(^|\/)(blueprint|bpkg)$/.test(program)) return [];
  const top = helpOf([]);
  let help = helpOf(sub);
  const flags: string[] = [];
  let shorthand = false;
  let positional = false;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] ?? '';
    if (w === '--' || /^[|&;<>#]/.test(w)) break;
    // `system status / update [FILE / --from REPO] / rollback`: several commands in one line of prose.
    if (w === '/') {
      shorthand = true;
      break;
    }
    if (/^--?[a-zA-Z]/.test(w)) {
      flags.push(w.split('=')[0] ?? w);
      if (w === '--root') i++;
      continue;
    }
    if (positional || !help?.commands.size) {
      positional = true;
      continue;
    }
    if (help.commands.has(w)) {
      sub.push(w);
      help = helpOf(sub);
      continue;
    }
    // `service start/stop/restart`: a list of subcommands in prose; each must be one, its flags not checked.
    if (/^[a-z-]+(\/[a-z-]+)+$/.test(w)) {
      const unknown = w.split('/').filter((c) => !help?.commands.has(c));
      if (unknown.length) return [`"${unknown.join('", "')}" no subcommand of blueprint ${sub.join(' ')}`];
      shorthand = true;
      break;
    }
    if (/^[a-z][-a-z0-9]*$/.test(w))
      return [`"${w}" is no subcommand of blueprint ${sub.join(' ')}`.trimEnd()];
    positional = true;
  }
  if (!help) return [`blueprint ${sub.join(' ')} --help fails`];
  if (shorthand) return [];
  return flags
    .filter((f) => !help.flags.has(f) && !top?.flags.has(f))
    .map((f) => `${f} is not an option of blueprint ${sub.join(' ')}`);
}

const scripts = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).scripts as Record<
  string,
  string
>;

function otherProblems(command: string): string[] {
  const ws = words(command);
  while (ws[0] === 'sudo' || /^[A-Z_]+=/.test(ws[0] ?? '')) ws.shift();
  const problems: string[] = [];
  if (ws[0] === 'npm' && ws[1] === 'run' && ws[2] && !scripts[ws[2]])
    problems.push(`no npm script "${ws[2]}"`);
  for (const w of ws) {
    const script = /^(?:\.\/)?(scripts\/[\w./-]+\.(?:mjs|ts|sh|py))$/.exec(w)?.[1];
    if (script && !path.basename(script).startsWith('_') && !existsSync(path.join(repo, script))) {
      problems.push(`${script} does not exist`);
    }
  }
  return problems;
}

/** One command per `&&`, `;`, `|` or `$(`; a trailing `# comment` dropped. */
function commandsIn(line: string): string[] {
  return line
    .replace(/\s#\s.*$/, '')
    .split(/\s*(?:&&|\|\||;|\|)\s*|\$\(|\)/)
    .map((c) => c.trim())
    .filter(Boolean);
}

interface Shown {
  line: number;
  command: string;
}

/** The commands a doc shows: its shell blocks' lines, and inline code that starts as a command does. */
function commandsShown(source: string): Shown[] {
  const lines = source.split('\n');
  const shown: Shown[] = [];
  const prose: string[] = [];
  let fence: string | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const open = /^\s*```(\S*)/.exec(raw);
    if (open || fence !== null) prose.push('');
    else prose.push(raw);
    if (open) {
      fence = fence === null ? open[1] || 'plain' : null;
      continue;
    }
    if (fence === null || !/^(sh|bash|shell|console|plain)$/.test(fence)) continue;
    let text = raw.trim();
    if (fence === 'plain' && !/^(\$ |sudo |bpkg |blueprint |dist\/|npm run )/.test(text)) continue;
    const at = i + 1;
    while (text.endsWith('\\') && i + 1 < lines.length) {
      text = `${text.slice(0, -1).trimEnd()} ${(lines[++i] ?? '').trim()}`;
      prose.push('');
    }
    text = text.replace(/^\$ /, '');
    if (text.startsWith('#')) continue;
    for (const command of commandsIn(text)) shown.push({ line: at, command });
  }
  // Inline code within a paragraph (it may wrap onto the next line).
  const text = prose.join('\n');
  for (const paragraph of text.matchAll(/(?:[^\n]+\n?)+/g)) {
    for (const code of paragraph[0].matchAll(/`([^`]+)`/g)) {
      const inline = (code[1] ?? '').replace(/\s+/g, ' ').trim();
      if (!/^(sudo )?(blueprint|bpkg|dist\/blueprint|dist\/bpkg|npm run|scripts\/)\b/.test(inline)) continue;
      const line = text.slice(0, (paragraph.index ?? 0) + (code.index ?? 0)).split('\n').length;
      for (const command of commandsIn(inline)) shown.push({ line, command });
    }
  }
  return shown;
}

describe('the commands the docs show', () => {
  it('reads commands from shell blocks, wrapped inline code and prose lists (the checker reads what it should)', () => {
    const shown = commandsShown(
      [
        '```sh',
        'sudo blueprint --root /x pkg install foo --bogus   # a comment --not-a-flag',
        'bpkg repo add main file:///x \\',
        '  --key ABC && bpkg update',
        '```',
        'Run `blueprint model',
        'lst` or `blueprint service start/stop/restart` or `blueprint rag list [--no-trunc]`.',
        '`blueprint system status / update [FILE / --from REPO] / rollback`',
      ].join('\n'),
    );
    expect(shown).toEqual([
      { line: 2, command: 'sudo blueprint --root /x pkg install foo --bogus' },
      { line: 3, command: 'bpkg repo add main file:///x --key ABC' },
      { line: 3, command: 'bpkg update' },
      { line: 6, command: 'blueprint model lst' },
      { line: 7, command: 'blueprint service start/stop/restart' },
      { line: 7, command: 'blueprint rag list [--no-trunc]' },
      { line: 8, command: 'blueprint system status / update [FILE / --from REPO] / rollback' },
    ]);
    expect(shown.map((s) => problemsOf(s.command))).toEqual([
      ['--bogus is not an option of blueprint pkg install'],
      [],
      [],
      ['"lst" is no subcommand of blueprint model'],
      [],
      [],
      [],
    ]);
    expect(problemsOf('blueprint servce start llm')).toEqual(['"servce" is no subcommand of blueprint']);
    expect(problemsOf('blueprint service start/stpo')).toEqual(['"stpo" no subcommand of blueprint service']);
    expect(otherProblems('npm run nope')).toEqual(['no npm script "nope"']);
  });

  it.each(docFiles())(
    '%s: every blueprint and bpkg command uses subcommands and options the program has',
    (doc) => {
      const problems = commandsShown(readFileSync(path.join(repo, doc), 'utf8')).flatMap(
        ({ line, command }) =>
          [...problemsOf(command), ...otherProblems(command)].map(
            (p) => `${doc}:${line}: \`${command}\`: ${p}`,
          ),
      );
      expect(problems).toEqual([]);
    },
  );
});
