/**
 * What a trusted tool (podman build, a module's build.sh, setup's systemctl and nft, apparmor_parser,
 * gpg, rauc) wrote to stderr, as blueprint keeps and quotes it. Kept: its last TAIL_CHARS characters
 * while it runs (a tool writing gigabytes costs no more memory than that; execFile buffered all of
 * it, up to its maxBuffer, and then killed the tool). Quoted: the last QUOTED_LINES lines (the end of
 * a longer line), each indented, with how many were left out, so that none reads as blueprint's own
 * `hint:` (test/security/build-output-bounded, tool-output-bounded). The front ends make control
 * characters visible (src/present/escape.ts).
 */

import { trackGroup } from './exit-cleanup.js';

const TAIL_CHARS = 64 * 1024;
const QUOTED_LINES = 20;
const QUOTED_LINE_CHARS = 300;

/** The end of a stream of text: its last `limit` characters or so, from a line's start where it can. */
export class OutputTail {
  private text = '';
  /** Lines wholly dropped from the front. */
  private dropped = 0;

  constructor(private readonly limit = TAIL_CHARS) {}

  push(chunk: string): void {
    this.text += chunk;
    // Trimmed once it holds twice the limit: each character is copied a bounded number of times.
    if (this.text.length > 2 * this.limit) this.trim();
  }

  private trim(): void {
    const cut = this.text.length - this.limit;
    let from = cut;
    // The kept text starts after a line break when there is one in it (a dropped line counted whole).
    const nl = this.text.indexOf('\n', cut);
    if (nl !== -1 && nl < this.text.length - 1) from = nl + 1;
    for (let i = this.text.indexOf('\n'); i !== -1 && i < from; i = this.text.indexOf('\n', i + 1))
      this.dropped++;
    this.text = this.text.slice(from);
  }

  /** The kept text. */
  toString(): string {
    if (this.text.length > this.limit) this.trim();
    return this.text;
  }

  /** How many lines before the kept text were dropped. */
  get droppedLines(): number {
    if (this.text.length > this.limit) this.trim();
    return this.dropped;
  }
}

/** One quoted line: at most QUOTED_LINE_CHARS of its end. */
export const quotedLine = (line: string): string =>
  line.length > QUOTED_LINE_CHARS ? `…${line.slice(-QUOTED_LINE_CHARS)}` : line;

/**
 * A failed step's stderr as its error quotes it: `its last lines of output (N earlier lines left
 * out):` then the last QUOTED_LINES lines, each indented. `output`: the text, or the tail kept.
 */
export function quotedTail(output: string | OutputTail): string {
  const earlier = typeof output === 'string' ? 0 : output.droppedLines;
  const lines = String(output).trimEnd().split('\n');
  const left = earlier + Math.max(0, lines.length - QUOTED_LINES);
  const kept = lines.slice(-QUOTED_LINES).map((l) => `  ${quotedLine(l)}`);
  return `its last lines of output${left ? ` (${left} earlier line${left === 1 ? '' : 's'} left out)` : ''}:\n${kept.join('\n')}`;
}

/** A trusted tool that could not be started or ended in failure; `output`: its stderr's tail. */
export class ToolFailure extends Error {
  constructor(
    message: string,
    /** ENOENT: the tool is not installed. */
    readonly code: string | undefined,
    readonly exitCode: number | null,
    readonly output: OutputTail,
  ) {
    super(message);
  }

  /** What the error quotes: the tail of its stderr, else why it failed. */
  get quoted(): string {
    return String(this.output).trim() ? quotedTail(this.output) : this.message;
  }
}

/**
 * Runs a trusted tool (no shell), the tail of its stderr kept (OutputTail); resolves with the tail
 * of its stdout (its last 64 KiB: the answer of `podman build -q`, say) when `stdout` is asked for,
 * else '' (stdout ignored). Rejects with ToolFailure when it cannot start or exits non-zero.
 */
export function runTool(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; cwd?: string; stdout?: boolean } = {},
): Promise<string> {
  const { spawn } = process.getBuiltinModule('node:child_process');
  return new Promise((resolve, reject) => {
    const output = new OutputTail();
    const answer = new OutputTail();
    // Its own process group (detached): ended part-way, blueprint ends it and whatever it started
    // (build.sh's own children, podman's), which a signal to blueprint alone never reaches.
    const child = spawn(file, args, {
      detached: true,
      stdio: ['ignore', opts.stdout ? 'pipe' : 'ignore', 'pipe'],
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    const untrack = trackGroup(child.pid);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => answer.push(d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => output.push(d));
    child.once('error', (err: NodeJS.ErrnoException) => {
      untrack();
      reject(new ToolFailure(err.message, err.code, null, output));
    });
    child.once('close', (code, signal) => {
      untrack();
      return code === 0
        ? resolve(String(answer))
        : reject(new ToolFailure(`${file} ended with ${signal ?? `exit ${code}`}`, undefined, code, output));
    });
  });
}
