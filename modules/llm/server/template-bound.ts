/**
 * A model's chat template (Jinja, from its package's chat_template.jinja or its GGUF) is rendered
 * by node-llama-cpp's Jinja interpreter. A model is a package anyone can make (`blueprint model
 * import` takes a GGUF from a stick), and its template ran unbounded: one that loops held /health,
 * every client and SIGTERM for as long as it liked (413 s in the test), on every chat and at start;
 * one that repeats the messages made a prompt of any size, tokenised on the event loop next (1.4
 * million characters: 4.4 s); one that doubles a string and keeps the copies took a GiB in two
 * seconds, on the service's own heap (test/security/llm-chat-template-memory).
 *
 * Each rendering of the template now runs in a child process (template-child.ts) whose V8 heap is
 * TEMPLATE_MEMORY_MB: past it that process ends, not the service. A worker thread with
 * resourceLimits was tried first and is not a bound: one allocation past its heap (range(1e8)) is
 * V8's fatal out-of-memory, which aborts the whole process. The service waits for the answer
 * (Atomics.wait, on a relay thread that talks to the child: node-llama-cpp asks for a rendering
 * synchronously) until the deadline; a child that died is answered at once (and, if it had been
 * ready, another started then), one still rendering at the deadline is killed and another started.
 * A chat waits for that process to be ready (templateRendererReady, on the event loop's terms) before its deadline starts: a
 * Node process's start took longer than the 2 s deadline on a loaded 2-core box, and the chat after
 * a looping one was refused as looping itself. About 0.4 ms a rendering
 * (one a chat) over rendering in-process, measured at load 8. The rest of node-llama-cpp's work on
 * a chat runs under the same deadline on the event loop (node's vm `timeout`), and the text has a
 * size bound.
 *
 * Not bounded: node-llama-cpp falls back to llama.cpp's native Jinja renderer for a template its
 * JavaScript one cannot parse (only when given the model's llama, which engine.ts does not do for
 * a GGUF's template), and native code is neither interrupted nor in the child.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { Template } from '@huggingface/jinja';
import { type ChatWrapper, JinjaTemplateChatWrapper, type LlamaText } from 'node-llama-cpp';
import { intFromEnv } from '../../kit/server/index.js';

/**
 * How long one rendering of a chat may take (`LLM_TEMPLATE_RENDER_MS`, 2,000 by default). Real
 * templates render in a few milliseconds, but the deadline is wall time: at 250 ms a one-line chat
 * on the tiny llama was refused as a looping template while the 2-core test machine ran at load
 * 10-12, so the default leaves a busy box room, and a template that loops costs at most this much
 * of the event loop a chat (the first rendering past it ends the chat).
 */
export const TEMPLATE_RENDER_MS = intFromEnv('LLM_TEMPLATE_RENDER_MS', 2_000);
/** How long node-llama-cpp's checks of a template at load may take (dozens of renderings). */
export const TEMPLATE_LOAD_MS = 30_000;
/** Characters a template may add to the messages' own (role markers, a system prompt of its own). */
export const TEMPLATE_OWN_CHARS = 16_384;

/**
 * The heap a rendering may use (`LLM_TEMPLATE_MEMORY_MB`, 64 by default): a chat's messages are at
 * most MAX_PROMPT_CHARS (65,536) characters and the prompt the template makes at most that plus
 * TEMPLATE_OWN_CHARS, a few MiB at two bytes a character even copied a few times.
 */
export const TEMPLATE_MEMORY_MB = intFromEnv('LLM_TEMPLATE_MEMORY_MB', 64);

/** A chat template past its deadline, its memory or its size bound (a 400 naming the template). */
export class TemplateError extends Error {}

const tooLong = (ms: number, what: string) =>
  new TemplateError(
    `this model's chat template took more than ${ms} ms or more than ${TEMPLATE_MEMORY_MB} MiB of memory to render ${what} (a template that loops, or repeats or copies its input): check the model's chat_template.jinja`,
  );

/** The deadline the renderings now running are under (withDeadline), and the first that failed. */
let current: { end: number; ms: number; what: string } | undefined;
let failed: TemplateError | undefined;

/** The child's file: bundled beside the server in the image (package.ts), the source elsewhere. */
function childFile(): string {
  const bundled = fileURLToPath(new URL('./template-child.mjs', import.meta.url));
  return existsSync(bundled) ? bundled : fileURLToPath(new URL('./template-child.ts', import.meta.url));
}

/** Characters a rendering may send back: far past any prompt's bound (boundChatWrapper's). */
const ANSWER_CHARS = 16 * 1024 * 1024;

/**
 * The thread between the service and the child process (template-child.ts): node-llama-cpp asks
 * for a rendering synchronously, and a process cannot be waited on so; a thread can (Atomics.wait).
 * It runs none of the template: it passes the request on, and the answer back, or that the child
 * died (its heap, a fatal out-of-memory included), starting a child again when needed. Plain
 * JavaScript given as text (eval), so the bundle needs no file for it.
 */
const RELAY = `
const { workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { flag, port, exec, args, cap } = workerData;
let child, buf = Buffer.alloc(0), pending;
// flag[1]: 1 once the child now running said it is ready (its first frame), 2 if it ended
// before that (the next rendering starts another), 0 while it starts.
const readiness = (v) => {
  Atomics.store(flag, 1, v);
  Atomics.notify(flag, 1);
};
const answer = (a) => {
  pending = undefined;
  port.postMessage(a);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
};
// A start that failed (EAGAIN at the pids limit, EMFILE: no stdin then, or a throw) or a child
// that ended before it was ready: no child, and the rendering waiting, if any, answered.
const failed = () => {
  child = undefined;
  readiness(2);
  if (pending !== undefined) answer({ id: pending, died: true });
};
function start() {
  let c;
  try {
    c = spawn(exec, args, { stdio: ['pipe', 'pipe', 'ignore'], env: {} });
  } catch {
    return failed();
  }
  child = c;
  let ready = false;
  readiness(0);
  buf = Buffer.alloc(0);
  c.on('error', () => {
    if (c === child) failed();
  });
  if (!c.stdin || !c.stdout) return failed();
  c.stdin.on('error', () => {});
  c.stdout.on('data', (d) => {
    if (c !== child) return;
    buf = Buffer.concat([buf, d]);
    if (buf.length > 4 + cap * 3 + 1024) return void c.kill('SIGKILL');
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32LE(0)) {
      const n = buf.readUInt32LE(0);
      const a = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
      buf = buf.subarray(4 + n);
      if (a.ready) {
        ready = true;
        readiness(1);
      } else if (a.id === pending) answer(a);
    }
  });
  c.on('exit', () => {
    if (c !== child) return;
    child = undefined;
    // One that was ready and ended (its heap, a kill from outside: the cgroup's OOM killer) is
    // followed at once, not by the next rendering: a chat waits for its start (ready), where a
    // rendering's deadline would count it. One that ended before it was ready is not (no loop).
    if (!ready) return failed();
    start();
    if (pending !== undefined) answer({ id: pending, died: true });
  });
}
port.on('message', (m) => {
  if (m.kill) {
    if (child) child.kill('SIGKILL');
    child = undefined;
    return start();
  }
  if (!child) start();
  if (!child) return answer({ id: m.id, died: true });
  pending = m.id;
  const body = Buffer.from(JSON.stringify({ ...m, cap }));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  child.stdin.write(Buffer.concat([head, body]));
});
start();
`;

type AtomicsWaitAsync = {
  waitAsync(
    a: Int32Array,
    i: number,
    v: number,
    ms: number,
  ): { async: boolean; value: Promise<string> | string };
};

type Answer = { id: number } & ({ text: string } | { error: string } | { tooLong: number } | { died: true });

/** Renderings in the child, through the relay thread, each waited for until its deadline. */
class TemplateThread {
  private worker: Worker | undefined;
  private port: MessagePort | undefined;
  /** [0]: an answer is waiting; [1]: the child's readiness (RELAY). */
  private readonly flag = new Int32Array(new SharedArrayBuffer(8));
  private id = 0;
  /**
   * The rendering sent and not answered yet. Left set when the vm's timeout (withDeadline) ended
   * the wait from outside: that child is still rendering and is ended then (abandon).
   */
  private unanswered: number | undefined;

  /** Started ahead of the first rendering (startTemplateRenderer), or by it. */
  prestart(): void {
    if (!this.worker) this.start();
  }

  private start(): void {
    const { port1, port2 } = new MessageChannel();
    const args = [
      `--max-old-space-size=${TEMPLATE_MEMORY_MB}`,
      '--max-semi-space-size=1',
      '--stack-size=984',
      childFile(),
    ];
    this.worker = new Worker(RELAY, {
      eval: true,
      workerData: { port: port2, flag: this.flag, exec: process.execPath, args, cap: ANSWER_CHARS },
      transferList: [port2],
    });
    this.worker.unref();
    // The relay ended (a fault of its own): the next rendering or wait starts another, where an
    // 'error' no one handled ended the service and every chat waited out its 30 s for readiness.
    const worker = this.worker;
    worker.on('error', () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      Atomics.store(this.flag, 1, 2);
      Atomics.notify(this.flag, 1);
    });
    this.port = port1;
  }

  /**
   * Resolves once the renderer's process is ready (or ended before it was, or `ms` passed), the
   * event loop free meanwhile.
   */
  async ready(ms: number): Promise<void> {
    if (!this.worker) this.start();
    this.abandon();
    const end = performance.now() + ms;
    for (;;) {
      const left = end - performance.now();
      if (Atomics.load(this.flag, 1) !== 0 || left <= 0) return;
      // ES2024's Atomics.waitAsync (Node has it; the project's lib is ES2023). A pending waitAsync
      // does not keep Node's event loop alive: at load nothing else may (the process ended, code 0).
      const w = (Atomics as unknown as AtomicsWaitAsync).waitAsync(this.flag, 1, 0, left);
      if (!w.async) continue;
      const alive = setTimeout(() => undefined, left + 1_000);
      try {
        await w.value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  /**
   * A rendering still unanswered (a loop) is given up: its child is ended, and the next rendering
   * gets a new one. Not ready from now (before the relay reads this), so the next chat waits.
   */
  abandon(): void {
    if (this.unanswered === undefined) return;
    Atomics.store(this.flag, 1, 0);
    this.port!.postMessage({ kill: true });
    // Cleared last: the vm's timeout (withDeadline) can stop this at any point, as it did between
    // clearing it first and the kill (the looping child went on, and the next chat waited 30 s);
    // withDeadline then calls this again, at worst ending a new child once more.
    this.unanswered = undefined;
  }

  isReady(): boolean {
    return Atomics.load(this.flag, 1) === 1;
  }

  /** `template` rendered with `items`, waited for until `ms` from now: undefined past it. */
  render(template: string, items: unknown, ms: number): string | undefined {
    if (!this.worker) this.start();
    this.abandon();
    const id = ++this.id;
    const end = performance.now() + ms;
    Atomics.store(this.flag, 0, 0);
    // Set before the request is sent: the vm's timeout may end this function at any point.
    this.unanswered = id;
    this.port!.postMessage({ id, template, items });
    for (;;) {
      const left = end - performance.now();
      if (left <= 0 || Atomics.wait(this.flag, 0, 0, left) === 'timed-out') {
        this.abandon();
        return undefined;
      }
      Atomics.store(this.flag, 0, 0);
      for (;;) {
        const m = receiveMessageOnPort(this.port!) as { message: Answer } | undefined;
        if (!m) break;
        const a = m.message;
        if (a.id !== id) continue; // a late answer to a rendering already given up
        this.unanswered = undefined;
        if ('died' in a) return undefined;
        if ('tooLong' in a)
          throw new TemplateError(
            `this model's chat template made a text of ${a.tooLong} characters: check the model's chat_template.jinja`,
          );
        if ('error' in a) throw new Error(a.error);
        return a.text;
      }
    }
  }
}

const thread = new TemplateThread();

/** Starts the renderer's process now: its start (a Node process) overlaps the model's load. */
export function startTemplateRenderer(): void {
  thread.prestart();
}

/**
 * Resolves when the renderer's process is ready to render (at most TEMPLATE_LOAD_MS): awaited
 * before a rendering's deadline starts, so that the process's start is not counted in it.
 */
export function templateRendererReady(): Promise<void> {
  return thread.ready(TEMPLATE_LOAD_MS);
}

/** Whether the renderer's process now running has said it is ready (what a chat waits for). */
export function templateRendererIsReady(): boolean {
  return thread.isReady();
}

interface JinjaRenderer {
  _template: string;
  _jsRenderer?: Template | null;
  _jsRendererError?: unknown;
  render(items: unknown): string;
}

/**
 * node-llama-cpp renders every Jinja template through one class (JinjaRenderer, not exported; found
 * on a wrapper of a template of our own): its `render` now parses here, as before (a template its
 * JavaScript cannot parse goes to the native renderer as before), and renders in the thread.
 */
function renderInThread(): void {
  const own = new JinjaTemplateChatWrapper({
    template: '{% for m in messages %}{{ m.content }}{% endfor %}',
  });
  const proto = Object.getPrototypeOf((own as unknown as { _jinjaTemplate: JinjaRenderer })._jinjaTemplate);
  const original = proto.render as JinjaRenderer['render'];
  proto.render = function render(this: JinjaRenderer, items: unknown): string {
    if (this._jsRenderer === undefined)
      try {
        this._jsRenderer = new Template(this._template);
      } catch (err) {
        this._jsRenderer = null;
        this._jsRendererError = err;
      }
    if (this._jsRenderer === null) return original.call(this, items);
    // node-llama-cpp tries other options when a rendering throws: past the bound, every one fails at once.
    if (failed) throw failed;
    const deadline = current ?? {
      end: performance.now() + TEMPLATE_RENDER_MS,
      ms: TEMPLATE_RENDER_MS,
      what: 'a chat',
    };
    const text = thread.render(this._template, items, deadline.end - performance.now());
    if (text !== undefined) return text;
    failed = tooLong(deadline.ms, deadline.what);
    throw failed;
  };
}
renderInThread();

const script = new vm.Script('run()');
const sandbox = vm.createContext({ run: undefined });

/** `fn()` stopped after `ms`: a TemplateError saying so, `what` naming the rendering. */
export function withDeadline<T>(fn: () => T, ms: number, what: string): T {
  sandbox.run = fn;
  const outer = current;
  current = { end: performance.now() + ms, ms, what };
  failed = undefined;
  try {
    const r = script.runInContext(sandbox, { timeout: ms }) as T;
    // A rendering past its bound whose error node-llama-cpp caught (it tries other options).
    if (failed) throw failed;
    return r;
  } catch (err) {
    if (failed) throw failed;
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw tooLong(ms, what);
    throw err;
  } finally {
    // The vm's timeout can end a wait for the child before render() does: that child is ended
    // here, not left rendering for the next chat to wait out.
    thread.abandon();
    sandbox.run = undefined;
    current = outer;
    failed = undefined;
  }
}

/** Characters of a rendered prompt (its text and the special tokens' names). */
export function textLength(text: LlamaText): number {
  let n = 0;
  for (const v of text.values) n += typeof v === 'string' ? v.length : String(v.value ?? '').length;
  return n;
}

/**
 * Bounds every rendering of `wrapper` (the service's own count of a chat's tokens and
 * node-llama-cpp's alike) by TEMPLATE_RENDER_MS and its text by `maxChars()`.
 */
export function boundChatWrapper(wrapper: ChatWrapper, maxChars: () => number): ChatWrapper {
  const render = wrapper.generateContextState.bind(wrapper);
  wrapper.generateContextState = (state) => {
    const r = withDeadline(() => render(state), TEMPLATE_RENDER_MS, 'these messages');
    const chars = textLength(r.contextText);
    if (chars > maxChars())
      throw new TemplateError(
        `this model's chat template made a prompt of ${chars} characters from these messages; at most ${maxChars()} are tokenised: send fewer or shorter messages, or check the model's chat_template.jinja`,
      );
    return r;
  };
  return wrapper;
}
