import type { MakeDirectoryOptions, ObjectEncodingOptions, PathLike, RmOptions } from 'node:fs';

/**
 * The few asynchronous file calls `service start` makes before its create request, on node:fs's
 * callbacks (same thread pool, same errors) rather than node:fs/promises: loading that module pulls
 * in readline, the REPL history, fs watchers and the FileHandle class, ~1.5 ms of CPU at every
 * start for nothing the start uses (issue 20). node:fs itself is in Node's start-up snapshot.
 */
const fs = () => process.getBuiltinModule('node:fs');

type Done<T> = (err: NodeJS.ErrnoException | null, value: T) => void;
const promised = <T>(call: (done: Done<T>) => void): Promise<T> =>
  new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));

export const readText = (file: PathLike): Promise<string> =>
  promised<string>((done) => fs().readFile(file, 'utf8', done));

export const readdir = (dir: PathLike, opts: ObjectEncodingOptions & { recursive?: boolean } = {}) =>
  promised<string[]>((done) => fs().readdir(dir, { ...opts, encoding: 'utf8' }, done));

export const realpath = (p: PathLike): Promise<string> => promised<string>((done) => fs().realpath(p, done));

export const access = (p: PathLike, mode?: number): Promise<void> =>
  promised<void>((done) => fs().access(p, mode, (err) => done(err, undefined)));

export const rm = (p: PathLike, opts: RmOptions): Promise<void> =>
  promised<void>((done) => fs().rm(p, opts, (err) => done(err, undefined)));

export const mkdir = (p: PathLike, opts: MakeDirectoryOptions & { recursive: true }) =>
  promised<string | undefined>((done) => fs().mkdir(p, opts, done));
