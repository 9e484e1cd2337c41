/**
 * Who a request comes from, by the token it sends. The admin's token (`access-token`) names the
 * client `admin`; each consumer module (the client `consumer:NAME`, never `admin`) has a token of
 * its own, issued by blueprint when the consumer starts and written into this module's data folder
 * as `client-tokens`, one `NAME TOKEN` line per consumer that declared this module in its `uses`
 * (docs/module-wiring.md). The fair queue takes
 * turns between these names (./queue.ts): a connection is no identity, since one client may open
 * many, and a unix-socket peer's SO_PEERCRED, read in the module's own namespaces, is uid 65534,
 * pid 0 for everyone.
 *
 * Blueprint writes the file when a consumer starts, which may be after this module started (rag
 * started later, or installed later): a token not known yet makes the file be looked at again
 * (opened and fstat'd; read again only when it changed), so a new consumer is known at its first
 * request; a known token, at most once a second, so a removed consumer's stops working.
 * The file is this module's own (its data folder), read without following a link, only a regular
 * file of at most 64 KiB; a malformed line is skipped, never fatal.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

/** Where blueprint tells a provider its consumers' tokens are (set in the container's environment). */
export const CLIENT_TOKENS_ENV = 'BLUEPRINT_CLIENT_TOKENS_FILE';
const MAX_BYTES = 64 * 1024;
const RECHECK_MS = 1000;
/** A module's name as blueprint gives it (also what server.ts accepts from BLUEPRINT_MODULE). */
export const MODULE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const TOKEN = /^[\x21-\x7e]{16,4095}$/;

const digest = (s: string) => createHash('sha256').update(s).digest();

export class ClientTokens {
  private known: { name: string; digest: Buffer }[] = [];
  private seen = '';
  private checked = 0;
  /** One more each time the tokens known change (a request named earlier is judged again only then). */
  private changes = 0;

  constructor(readonly file: string | undefined) {
    this.reload();
  }

  /** How many consumers have a token (never which tokens). */
  get size(): number {
    return this.known.length;
  }

  /**
   * A number that changes whenever the tokens known do, the file looked at again as identify()
   * would (at most once a second): equal to an earlier one, a token named then still names the same.
   */
  generation(): number {
    if (this.file && Date.now() - this.checked >= RECHECK_MS) this.reload();
    return this.changes;
  }

  /** The consumer `token` belongs to, or undefined. Every known token is compared, in constant time. */
  identify(token: string): string | undefined {
    return this.identifyDigest(digest(token));
  }

  /** identify() for a token's SHA-256, when the caller has it already (the server compares it to the admin's). */
  identifyDigest(d: Buffer): string | undefined {
    if (!this.file) return undefined;
    // A consumer removed leaves the file (blueprint writes it again): its token stops working
    // within a second, without a look at the file for every request.
    if (Date.now() - this.checked >= RECHECK_MS) this.reload();
    const match = () => {
      let found: string | undefined;
      for (const k of this.known) if (timingSafeEqual(d, k.digest) && found === undefined) found = k.name;
      return found;
    };
    return match() ?? (this.reload() ? match() : undefined);
  }

  /** Reads the file again when it changed since the last read; true when it did. */
  private reload(): boolean {
    if (!this.file) return false;
    this.checked = Date.now();
    let fd: number;
    try {
      fd = openSync(this.file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch {
      // None (no consumer yet), or a link: no consumer tokens.
      const changed = this.seen !== '';
      this.known = [];
      this.seen = '';
      if (changed) this.changes++;
      return changed;
    }
    try {
      const st = fstatSync(fd);
      const stamp = stampOf(st);
      if (stamp === this.seen) return false;
      this.seen = stamp;
      this.known = st.isFile() && st.size <= MAX_BYTES ? parse(readAll(fd, st.size)) : [];
      this.changes++;
      return true;
    } finally {
      closeSync(fd);
    }
  }
}

// Blueprint replaces the file by a rename: a new inode (and a new ctime) each time.
const stampOf = (st: Stats) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;

function readAll(fd: number, size: number): string {
  const buf = Buffer.alloc(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.toString('utf8', 0, got);
}

function parse(text: string): { name: string; digest: Buffer }[] {
  const out: { name: string; digest: Buffer }[] = [];
  for (const line of text.split('\n')) {
    const [name, token, ...rest] = line.trim().split(/\s+/);
    if (!name || !token || rest.length > 0 || !MODULE_NAME.test(name) || !TOKEN.test(token)) continue;
    if (out.some((k) => k.name === name)) continue;
    out.push({ name, digest: digest(token) });
  }
  return out;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Who a request's `Authorization: Bearer TOKEN` names, or else the token a module's own header
 * carries bare (`bare`: Qdrant's `api-key`, which vectors' clients send): "admin", "consumer:NAME",
 * or undefined.
 */
export class ClientNames {
  private readonly admin: Buffer | undefined;
  private readonly consumers: ClientTokens;

  constructor(adminToken: string | undefined, consumersFile: string | undefined) {
    this.admin = adminToken === undefined ? undefined : digest(adminToken);
    this.consumers = new ClientTokens(consumersFile);
  }

  /** The admin set a token: a route with auth then needs it or a consumer's own. */
  get adminSet(): boolean {
    return this.admin !== undefined;
  }

  /** The consumer tokens' generation (ClientTokens.generation): the admin's token never changes while we run. */
  generation(): number {
    return this.consumers.generation();
  }

  of(authorization: string | undefined, bare?: string): string | undefined {
    const bearer = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
    return this.named(bearer) ?? this.named(bare);
  }

  private named(token: string | undefined): string | undefined {
    if (token === undefined) return undefined;
    // Hashed once for both: the admin's token and each consumer's compared in constant time.
    const d = digest(token);
    if (this.admin !== undefined && timingSafeEqual(d, this.admin)) return 'admin';
    const consumer = this.consumers.identifyDigest(d);
    return consumer === undefined ? undefined : `consumer:${consumer}`;
  }
}
