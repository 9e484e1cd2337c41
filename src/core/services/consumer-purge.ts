import { type FileHandle, lstat, readdir } from 'node:fs/promises';
import { createConnection } from 'node:net';
import path from 'node:path';
import { PACKAGE_NAME } from '../system/paths.js';
import { inDir, writeFileAt } from '../system/safe-write.js';
import { containerName, inspectContainer } from './container-info.js';
import { keptTakesPurges, moduleDataPath, ownersDir, takesPurges } from './data-owner.js';
import type { Engine } from './engine.js';
import { openDataDir } from './module-token.js';
import { serviceDirs } from './policy.js';
import { listRegistrations } from './registry.js';

/**
 * A consumer's data, purged (docs/module-wiring.md): `bpkg remove --purge CONSUMER` deletes the
 * consumer's own data folder, and asks each installed provider that keeps data per consumer
 * (manifest `socket.consumerPurge`: vectors holds rag's documents as chunks) to delete what that
 * consumer made there. The ask is a record, `purge.CONSUMER` in the provider's data folder
 * ("CONSUMER TIME\n", the time of the purge in ms), written as client-tokens.ts writes its file:
 * never through a link the provider may have left (O_EXCL|O_NOFOLLOW under a new name, renamed
 * over), the folder's owner, 0440. The provider applies it at its start before it serves anything,
 * and removes it; a running one is sent SIGUSR2 (the module server kit's purge.ts) and the record
 * is awaited gone. Keyed by the time, a record applied late (a provider that did not answer) never
 * matches what a consumer of that name installed again makes after the purge.
 *
 * Every opted-in provider is asked, not only those the consumer's last version used: an earlier
 * version may have used another, and after a plain removal what it used is no longer known. A
 * provider that never made its data folder holds nothing and is not asked. A provider removed with
 * its data kept is asked through that data: its plain removal recorded in the folder's owner record
 * that it took purges (data-owner.ts), and the record written there waits for its next install,
 * whose first start applies it before it serves.
 */

export const PURGE_SIGNAL = 'SIGUSR2';
/** How long a running provider is given to apply the record before the purge says it is not confirmed. */
const CONFIRM_MS = 30_000;
const STEP_MS = 100;

export interface PurgeAsk {
  /** The provider asked. */
  provider: string;
  /**
   * `done`: it ran and removed the record (applied). `at-start`: it was not running; it applies
   * the record at its next start, before it serves. `not-confirmed`: it runs (or the engine could
   * not say) and did not remove the record in time; it applies it at its next start at the latest.
   * `kept`: it is not installed, its data kept: the record is in that data, applied when it is
   * installed again, at its first start. `failed`: no record could be written (`error` says why);
   * nothing was asked of it.
   */
  state: 'done' | 'at-start' | 'not-confirmed' | 'kept' | 'failed';
  error?: string;
}

export const purgeRecordName = (consumer: string) => `purge.${consumer}`;

/**
 * Asks every provider that takes purges, installed or its data kept, to delete what `consumer`
 * made there. `except`: modules this same command purges (their data goes anyway).
 */
export async function purgeConsumerData(
  root: string,
  consumer: string,
  engine: () => Engine,
  opts: { confirmMs?: number; now?: number; except?: ReadonlySet<string> } = {},
): Promise<PurgeAsk[]> {
  const asks: PurgeAsk[] = [];
  const before = opts.now ?? Date.now();
  for (const { name: provider, socket } of await providersOf(root, consumer, opts.except))
    asks.push(
      await askOne(root, provider, consumer, before, engine, {
        confirmMs: opts.confirmMs ?? CONFIRM_MS,
        socket,
      }).catch((err: Error) => ({ provider, state: 'failed' as const, error: err.message })),
    );
  return asks;
}

/**
 * The providers a purge of `consumer` asks (`bpkg remove --dry-run --purge` names them): `kept`
 * those not installed, asked through their kept data.
 */
export async function purgeProviders(
  root: string,
  consumer: string,
  except?: ReadonlySet<string>,
): Promise<{ name: string; kept: boolean }[]> {
  return (await providersOf(root, consumer, except)).map((p) => ({ name: p.name, kept: !p.socket }));
}

/** Of `names`, the installed modules that take purges (read before a removal takes their registrations). */
export async function purgeOptIns(root: string, names: string[]): Promise<Set<string>> {
  const regs = await listRegistrations(root);
  return new Set(regs.filter((r) => names.includes(r.name) && takesPurges(r.spec)).map((r) => r.name));
}

/**
 * Each provider taking purges that has a data folder: an installed one with its socket on the host;
 * one removed with its data kept (no registration; its owner record says it took purges) without.
 */
async function providersOf(
  root: string,
  consumer: string,
  except: ReadonlySet<string> = new Set(),
): Promise<{ name: string; socket?: string }[]> {
  const out: { name: string; socket?: string }[] = [];
  const there = (name: string) => lstat(moduleDataPath(root, name)).then(Boolean, () => false);
  const regs = await listRegistrations(root);
  for (const reg of regs) {
    const s = reg.spec;
    if (reg.name === consumer || except.has(reg.name) || !takesPurges(s) || !s.socket) continue;
    if (await there(reg.name))
      out.push({ name: reg.name, socket: path.join(serviceDirs(root, reg.name).socketDir, s.socket.file) });
  }
  const installed = new Set(regs.map((r) => r.name));
  const records = await readdir(ownersDir(root)).catch(() => [] as string[]);
  for (const name of records
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort()) {
    if (name === consumer || except.has(name) || installed.has(name) || !PACKAGE_NAME.test(name)) continue;
    if (keptTakesPurges(root, name) && (await there(name))) out.push({ name });
  }
  return out;
}

/** The record written into `provider`'s data folder, then the provider told. */
async function askOne(
  root: string,
  provider: string,
  consumer: string,
  before: number,
  engine: () => Engine,
  how: { confirmMs: number; socket?: string },
): Promise<PurgeAsk> {
  const { dir } = await openDataDir(root, provider);
  try {
    const st = await dir.stat();
    await writeFileAt(dir, purgeRecordName(consumer), `${consumer} ${before}\n`, {
      mode: 0o440,
      owner: [st.uid, st.gid],
    });
    // Not installed: nothing runs to tell; the record waits in its kept data.
    if (!how.socket) return { provider, state: 'kept' };
    const there = () => recordThere(dir, consumer);
    return { provider, state: await tell(root, provider, engine, there, { ...how, socket: how.socket }) };
  } finally {
    await dir.close();
  }
}

/** Whether a socket (a socket file, not a link) takes a connect: a provider listens on it now. */
async function answers(socket: string): Promise<boolean> {
  if (!(await lstat(socket).catch(() => undefined))?.isSocket()) return false;
  return new Promise((resolve) => {
    const c = createConnection(socket);
    const end = (ok: boolean) => {
      clearTimeout(t);
      c.destroy();
      resolve(ok);
    };
    const t = setTimeout(() => end(false), 1_000);
    c.once('connect', () => end(true));
    c.once('error', () => end(false));
  });
}

const recordThere = (dir: FileHandle, consumer: string) =>
  lstat(inDir(dir, purgeRecordName(consumer))).then(
    () => true,
    () => false,
  );

/** A running provider is signalled and its record awaited gone; a stopped one applies it at start. */
async function tell(
  root: string,
  provider: string,
  engine: () => Engine,
  there: () => Promise<boolean>,
  { confirmMs, socket }: { confirmMs: number; socket: string },
): Promise<PurgeAsk['state']> {
  const end = Date.now() + confirmMs;
  let e: Engine;
  try {
    e = engine();
    const info = await inspectContainer(e, provider, root);
    if (!info?.State.Running || info.State.Gone) return 'at-start';
    // Signalled only once it listens: its handler is set by then (the kit's onPurgeSignal, at the
    // top of its start), and SIGUSR2's default would end a process still loading. Before it
    // listens, its start may still read the record itself. Listening is a connect answered: a
    // socket file alone may be an earlier run's, killed, while this one loads.
    while (!(await answers(socket)) && (await there())) {
      if (Date.now() > end) return 'not-confirmed';
      await new Promise((r) => setTimeout(r, STEP_MS));
    }
    if (await there())
      await e.libpod('POST', `/containers/${containerName(provider)}/kill?signal=${PURGE_SIGNAL}`);
  } catch {
    // The engine did not answer, or the container ended meanwhile: the record waits for its start.
    return (await there()) ? 'not-confirmed' : 'done';
  }
  while (await there()) {
    if (Date.now() > end) return 'not-confirmed';
    await new Promise((r) => setTimeout(r, STEP_MS));
  }
  return 'done';
}
