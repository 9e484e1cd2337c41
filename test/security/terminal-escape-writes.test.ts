/**
 * "Anything untrusted that reaches a terminal is escaped": the CLI's answers, notes, warnings and
 * errors go out through the context (ctx.result, info, warn: escapeText) and the error printer
 * (errorBlock), which escape whatever they are given. A command that writes to a stream itself
 * (a stream of log lines, a redrawn bar, an answer as it streams) passes that by; each such write
 * in src/cli must escape what it writes, or write only this program's own text. This holds the
 * source to it: a new direct write of untrusted text fails here, named, instead of being found on
 * a terminal. The app layer and the presenters never write to a terminal at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/pkg.js';

const files = (dir: string): string[] =>
  readdirSync(path.join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => path.join(dir, f));

/** Each `.write(` call in `file`: its argument text, up to the parenthesis that closes it. */
function writes(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(\/\/|\*)/.test(l))
    .join('\n');
  const found: string[] = [];
  for (const m of text.matchAll(/\.write\(/g)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < text.length && depth; i++) depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
    found.push(text.slice(m.index + m[0].length, i - 1).trim());
  }
  return found;
}

const ESCAPED = /\b(escapeText|escapeLine|errorBlock|escapeJson)\(/;
/** A string literal with nothing interpolated: this program's own text. */
const CONSTANT = /^('[^']*'|"[^"]*"|`[^`$]*`)$/;

/** Direct writes that are neither: each with why what it writes is not untrusted. */
const JUDGED: Array<{ file: string; starts: string; why: string }> = [
  {
    file: 'src/cli/out.ts',
    starts: 'bytes.subarray(done)',
    why: 'the sink ctx.result writes escaped text to',
  },
  { file: 'src/cli/out.ts', starts: 'text', why: 'the sink ctx.result writes escaped text to' },
  {
    // The new-box note (usage-text.ts newRootNote), written once the command is over (af3640c).
    file: 'src/cli/index.ts',
    starts: "(await import('./usage-text.js')).newRootNote(",
    why: 'the root the admin typed (or set in BLUEPRINT_ROOT)',
  },
  {
    file: 'src/cli/commands/service.ts',
    starts: 'text, (err',
    why: 'untilReaderGone: its callers hand it escapeJson or escapingStream output',
  },
  {
    file: 'src/cli/progress.ts',
    starts: `\`\\r\\x1b[Kdownloading \${e.name}`,
    why: 'the package name is escapeLine-d where the event is copied; the rest are numbers',
  },
  {
    file: 'src/cli/commands/model.ts',
    starts: `\`\\r\\x1b[K\${word}`,
    why: "the phase's word and byte counts only",
  },
];

describe('direct writes to a terminal', () => {
  const sites = files('src/cli').flatMap((file) => writes(file).map((arg) => ({ file, arg })));

  it('are found (the scan sees the ones the escape relies on)', () => {
    expect(sites.filter((s) => s.file === 'src/cli/context.ts' && ESCAPED.test(s.arg))).toHaveLength(2);
    expect(sites.filter((s) => s.file === 'src/cli/index.ts').length).toBeGreaterThanOrEqual(3);
  });

  it('in src/cli escape what they write, write a constant, or are judged here', () => {
    const unjudged = sites.filter(
      (s) =>
        !ESCAPED.test(s.arg) &&
        !CONSTANT.test(s.arg) &&
        !JUDGED.some((j) => j.file === s.file && s.arg.startsWith(j.starts)),
    );
    expect(unjudged).toEqual([]);
    // Each judgement still names a write (a stale one would excuse the next write there).
    for (const j of JUDGED)
      expect(
        sites.some((s) => s.file === j.file && s.arg.startsWith(j.starts)),
        `${j.file}: ${j.starts}`,
      ).toBe(true);
  });

  it('none from the app layer or the presenters: they hand text to a front end', () => {
    const direct = [...files('src/app'), ...files('src/present')].filter((f) =>
      /process\.(stdout|stderr)\.write|console\.(log|error|warn|info)\(/.test(
        readFileSync(path.join(repoRoot, f), 'utf8'),
      ),
    );
    expect(direct).toEqual([]);
  });
});
