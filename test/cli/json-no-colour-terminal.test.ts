/**
 * With --json on a terminal, stdout held plain JSON but stderr's lines were coloured: `error:` red,
 * the hint dim, `warning:` yellow (closing-43's "Left"). A script that runs blueprint under a pty
 * (Ansible's `command` with a tty, `script`, expect) read escape codes in the log it keeps. --json
 * means no ANSI anywhere, stdout and stderr; a terminal without --json keeps its colours. Through the
 * built executable under script(1), a real pty on both streams.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/;

/** `args` run on a pty (stdout and stderr both the terminal), TERM=xterm: what the terminal got. */
const onTerminal = (args: string[]) => {
  const line = [blueprintExe, ...args].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', line, '/dev/null'], {
    encoding: 'utf8',
    env: { ...process.env, TERM: 'xterm', NO_COLOR: '' },
    // A console opened on the pty would wait for keys: killed, its screen is what the test reads.
    timeout: 15_000,
    input: '',
  });
  return r.stdout;
};

describe('--json on a terminal', () => {
  it('an error: its document and its error:/hint: lines carry no escape codes', () => {
    const missing = path.join(tempDir('bp-json-tty-'), 'none');
    const plain = onTerminal(['--root', missing, 'status']);
    // The check can tell: without --json the terminal gets colour.
    expect(plain).toMatch(ANSI);
    const json = onTerminal(['--json', '--root', missing, 'status']);
    expect(json).toContain('"error"');
    expect(json).toContain('error: --root');
    expect(json).toContain('hint: ');
    expect(json).not.toMatch(ANSI);
  });

  it('a warning on stderr carries none either', () => {
    const root = path.join(tempDir('bp-json-tty-'), 'root');
    mkdirSync(root);
    const plain = onTerminal(['--root', root, 'pkg', 'remove', 'nosuch']);
    expect(plain).toMatch(ANSI);
    const json = onTerminal(['--json', '--root', root, 'pkg', 'remove', 'nosuch']);
    expect(json).toContain("warning: Package 'nosuch' is not installed");
    expect(json).toContain('"notInstalled"');
    expect(json).not.toMatch(ANSI);
  });

  // `blueprint --json tui` drew the console on stdout: neither one document nor free of escapes.
  it('tui is refused (exit 2) with its --json error document, no screen drawn', () => {
    const root = path.join(tempDir('bp-json-tty-'), 'root');
    mkdirSync(root);
    const json = onTerminal(['--json', '--root', root, 'tui']);
    expect(json).toContain('"code": "usage"');
    expect(json).toContain('The interactive interface has no --json');
    expect(json).not.toMatch(ANSI);
  });
});
