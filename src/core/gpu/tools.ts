/**
 * Running vendor tools (nvidia-smi, rocm-smi). They enrich what the kernel already told us, so a
 * tool that is missing, fails or hangs only costs that enrichment. The runner is an interface so
 * tests feed recorded outputs; the real one is execa with a hard deadline.
 */
import type { ChildProcess } from 'node:child_process';
import type { ToolStatus } from './types.js';

export type ToolResult =
  | { status: 'ok'; stdout: string }
  | { status: Exclude<ToolStatus, 'ok'>; detail: string };

export type ToolRunner = (file: string, args: string[]) => Promise<ToolResult>;

export interface ExecaRunnerOptions {
  /** How long a tool may run. nvidia-smi normally answers in well under a second. */
  timeoutMs?: number;
  /** Environment for the tool (tests point PATH at fake tools). */
  env?: NodeJS.ProcessEnv;
  /** Aborts running tools (Ctrl-C). */
  signal?: AbortSignal;
}

export const DEFAULT_TOOL_TIMEOUT_MS = 5000;
/** After SIGTERM, how long a tool gets before SIGKILL. */
const KILL_GRACE_MS = 500;

export function execaRunner(opts: ExecaRunnerOptions = {}): ToolRunner {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  return async (file, args) => {
    // Loaded when a tool runs: the console's dashboard asks for GPUs at every start, and where the
    // kernel shows none no tool runs (execa's set-up, its signal tables, showed as ~15 ms of a CPU
    // profile of the console's first paint at load 15).
    const { execa } = await import('execa');
    const child = execa(file, args, {
      timeout: timeoutMs,
      forceKillAfterDelay: KILL_GRACE_MS,
      reject: false,
      stdin: 'ignore',
      env: opts.env,
      cancelSignal: opts.signal,
    });
    // execa waits for the output pipes to close, and a child of the tool that kept them open (or a
    // tool stuck in the kernel, which SIGKILL cannot end) would hold us forever. Past the deadline
    // we stop listening: drop the pipes and stop the process from keeping Node alive.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), timeoutMs + KILL_GRACE_MS * 2);
    });
    const result = await Promise.race([child, deadline]);
    clearTimeout(timer);
    if (result === 'deadline') {
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      // execa keeps the Node ChildProcess (which has unref) as an undocumented property.
      (child as unknown as { nodeChildProcess?: ChildProcess }).nodeChildProcess?.unref();
      child.catch(() => {});
      return { status: 'timeout', detail: `${file} did not answer within ${timeoutMs} ms` };
    }
    if (result.timedOut)
      return { status: 'timeout', detail: `${file} did not answer within ${timeoutMs} ms` };
    if ((result as { code?: string }).code === 'ENOENT')
      return { status: 'missing', detail: `${file} is not installed` };
    if (result.failed) {
      const why = String(result.stderr || result.stdout || result.shortMessage)
        .trim()
        .split('\n')[0];
      return { status: 'failed', detail: `${file} failed: ${why}` };
    }
    return { status: 'ok', stdout: String(result.stdout) };
  };
}
