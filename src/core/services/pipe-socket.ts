import type { Socket } from 'node:net';
import { nodeBinding } from '../system/node-binding.js';

/**
 * A unix socket connection for engine-wire.ts's exchanges: Node's pipe binding (the libuv pipe
 * node:net's Socket is written over) where the executable reaches it (`--expose-internals`,
 * src/core/system/node-binding.ts), node:net anywhere else. node:net and its streams cost every
 * `service start` ~1.5 ms of CPU to load and ~1 ms a connection (a Duplex, its states, async
 * hooks, debuglog, a timer list), 5 ms of CPU in all for one exchange (`perf stat`, paired), on the
 * main thread before the create request (issue 20). The same syscalls: socket, connect, write,
 * read until the peer's close, close.
 *
 * What engine-wire uses of a Socket, with node:net's meaning: 'connect'; 'data' with each chunk
 * read; 'end' at the peer's close (half-open: the socket is not closed by it); 'error' with the
 * errno's code (ENOENT, ECONNREFUSED, EACCES...) and then 'close'; 'close' once the handle is
 * closed, after destroy(). write(text, cb) sends UTF-8 (queued until connected) and calls cb once
 * the bytes are with the kernel; ref/unref as a socket's.
 */
export interface WireSocket {
  on(event: 'connect' | 'end' | 'close', fn: () => void): unknown;
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  write(text: string, cb?: () => void): unknown;
  destroy(): unknown;
  ref(): unknown;
  unref(): unknown;
  removeAllListeners(): unknown;
}

interface PipeHandle {
  connect(req: ConnectReq, path: string): number;
  readStart(): number;
  readStop(): number;
  writeUtf8String(req: WriteReq, text: string): number;
  close(cb: () => void): void;
  ref(): void;
  unref(): void;
  onread: (buffer: ArrayBuffer | undefined) => void;
}
interface ConnectReq {
  oncomplete: (status: number) => void;
  address?: string;
}
interface WriteReq {
  handle: PipeHandle;
  oncomplete: (status: number) => void;
  async: boolean;
}
interface Bindings {
  Pipe: new (type: number) => PipeHandle;
  PipeConnectWrap: new () => ConnectReq;
  WriteWrap: new () => WriteReq;
  socket: number;
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

/** libuv's UV_EOF, the same on every platform (uv/errno.h): the peer closed its side. */
const UV_EOF = -4095;

let bindings: Bindings | null | undefined;

/** The pipe, stream and uv bindings, when they are there with the shape this was written against (Node 24.21's). */
function pipeBindings(): Bindings | null {
  if (bindings !== undefined) return bindings;
  bindings = null;
  const pipe = nodeBinding<{
    Pipe: Bindings['Pipe'];
    PipeConnectWrap: Bindings['PipeConnectWrap'];
    constants: { SOCKET: number };
  }>('pipe_wrap');
  const stream = nodeBinding<{
    WriteWrap: Bindings['WriteWrap'];
    streamBaseState: Int32Array;
    kReadBytesOrError: number;
    kArrayBufferOffset: number;
    kLastWriteWasAsync: number;
  }>('stream_wrap');
  if (
    !pipe ||
    !stream ||
    typeof pipe.Pipe !== 'function' ||
    typeof pipe.PipeConnectWrap !== 'function' ||
    typeof pipe.constants?.SOCKET !== 'number' ||
    typeof stream.WriteWrap !== 'function' ||
    !(stream.streamBaseState instanceof Int32Array) ||
    ![stream.kReadBytesOrError, stream.kArrayBufferOffset, stream.kLastWriteWasAsync].every(
      (k) => typeof k === 'number',
    )
  )
    return null;
  bindings = {
    Pipe: pipe.Pipe,
    PipeConnectWrap: pipe.PipeConnectWrap,
    WriteWrap: stream.WriteWrap,
    socket: pipe.constants.SOCKET,
    state: stream.streamBaseState,
    kReadBytesOrError: stream.kReadBytesOrError,
    kArrayBufferOffset: stream.kArrayBufferOffset,
    kLastWriteWasAsync: stream.kLastWriteWasAsync,
  };
  return bindings;
}

/** Connects to the unix socket at `socketPath`: through the pipe binding, or node:net without it. */
export function connectPipe(socketPath: string): WireSocket {
  const b = pipeBindings();
  if (!b)
    return process.getBuiltinModule('node:net').connect({ path: socketPath, allowHalfOpen: true }) as Socket;
  return new PipeSocket(b, socketPath);
}

const ignore = () => {};

// biome-ignore lint/suspicious/noExplicitAny: each event's own argument (see WireSocket)
type Listener = (arg: any) => void;

class PipeSocket implements WireSocket {
  private readonly handle: PipeHandle;
  private listeners: Record<string, Listener[]> = {};
  private connected = false;
  private closed = false;
  /** Writes asked for before the connection was made; each `[text, cb]`. */
  private queued: [string, (() => void) | undefined][] = [];
  /** Chunks read while no 'data' listener was there (node:net keeps them for the next). */
  private unread: Buffer[] = [];
  /** The requests in flight, kept reachable until they complete. */
  private readonly pending = new Set<object>();

  constructor(
    private readonly b: Bindings,
    private readonly socketPath: string,
  ) {
    this.handle = new b.Pipe(b.socket);
    const req = new b.PipeConnectWrap();
    req.address = socketPath;
    req.oncomplete = (status) => {
      this.pending.delete(req);
      this.afterConnect(status);
    };
    this.pending.add(req);
    const err = this.handle.connect(req, socketPath);
    // As node:net: an error is told at the next tick, once the caller has listened for it.
    if (err) {
      this.pending.delete(req);
      process.nextTick(() => this.fail(err, 'connect'));
    }
  }

  on(event: string, fn: Listener): this {
    const fns = this.listeners[event];
    if (fns) fns.push(fn);
    else this.listeners[event] = [fn];
    if (event === 'data' && this.unread.length) {
      const chunks = this.unread;
      this.unread = [];
      process.nextTick(() => {
        for (const c of chunks) this.emit('data', c);
      });
    }
    return this;
  }

  removeAllListeners(): this {
    this.listeners = {};
    return this;
  }

  private emit(event: string, arg?: unknown): boolean {
    const fns = this.listeners[event];
    if (!fns?.length) return false;
    for (const fn of [...fns]) (fn as (a?: unknown) => void)(arg);
    return true;
  }

  ref(): this {
    if (!this.closed) this.handle.ref();
    return this;
  }

  unref(): this {
    if (!this.closed) this.handle.unref();
    return this;
  }

  write(text: string, cb?: () => void): boolean {
    if (this.closed) return false;
    if (!this.connected) this.queued.push([text, cb]);
    else this.send(text, cb);
    return true;
  }

  destroy(): this {
    if (this.closed) return this;
    this.closed = true;
    this.connected = false;
    this.handle.onread = ignore; // the binding takes a function only
    this.handle.close(() => this.emit('close'));
    return this;
  }

  private afterConnect(status: number) {
    if (this.closed) return;
    if (status < 0) return this.fail(status, 'connect');
    this.connected = true;
    this.handle.onread = (buffer) => this.onRead(buffer);
    this.emit('connect');
    if (this.closed) return;
    const err = this.handle.readStart();
    if (err) return this.fail(err, 'read');
    const queued = this.queued;
    this.queued = [];
    for (const [text, cb] of queued) this.send(text, cb);
  }

  private send(text: string, cb: (() => void) | undefined) {
    const req = new this.b.WriteWrap();
    req.handle = this.handle;
    req.async = false;
    req.oncomplete = (status) => {
      this.pending.delete(req);
      if (status < 0) this.fail(status, 'write');
      else cb?.();
    };
    const err = this.handle.writeUtf8String(req, text);
    if (err) return this.fail(err, 'write');
    // All of it went out at once: no completion will come (node:net calls back at the next tick).
    if (this.b.state[this.b.kLastWriteWasAsync]) this.pending.add(req);
    else if (cb) process.nextTick(cb);
  }

  private onRead(buffer: ArrayBuffer | undefined) {
    const { state, kReadBytesOrError, kArrayBufferOffset } = this.b;
    const n = state[kReadBytesOrError] ?? 0;
    if (n > 0 && buffer) {
      const chunk = Buffer.from(buffer, state[kArrayBufferOffset], n);
      if (!this.emit('data', chunk)) this.unread.push(chunk);
      return;
    }
    if (n === 0) return;
    this.handle.readStop();
    if (n === UV_EOF) this.emit('end');
    else this.fail(n, 'read');
  }

  /** node:net's errno error (`connect ENOENT /run/podman/podman.sock`), then the close. */
  private fail(errno: number, syscall: string) {
    if (this.closed) return;
    // The errno's name from the uv binding, asked only now (~0.15 ms to set up, on every start else).
    const code = nodeBinding<{ errname(n: number): string }>('uv')?.errname(errno) ?? `E${-errno}`;
    const err = Object.assign(
      new Error(`${syscall} ${code}${syscall === 'connect' ? ` ${this.socketPath}` : ''}`),
      { errno, code, syscall },
    );
    this.emit('error', err);
    this.destroy();
  }
}
