import type { Readable } from 'node:stream';

/** What a transport opens: a body to read once, and its length when the server says it. */
export interface Opened {
  body: Readable;
  length?: number;
}

/** Settings that reach every transport: where credentials live, extra CAs, time limits. */
export interface TransportOptions {
  /** ROOT/etc/blueprint: credentials.json and aws/{credentials,config} live here (root-only). */
  etc?: string;
  /** A credentials.json elsewhere (a publisher's, owner-only); default ETC/credentials.json. */
  credentialsFile?: string;
  /**
   * A registry login given by the environment (CI secrets), used for every registry; `tokenHosts`
   * as in credentials.json (credentials.ts).
   */
  registryLogin?: { username: string; password: string; tokenHosts?: string[] };
  /** Extra trusted CA certificates (PEM) for HTTPS, added to the system's. */
  ca?: string[];
  /** The environment that AWS settings are read from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** A request that sends no header within this time fails (a stalled mirror must not freeze the box). */
  timeoutMs?: number;
}

/**
 * One URL scheme. `open` reads `rel` (a checked, repository-relative path) below `base`; `put`
 * stores a local file there (publishing). Every byte a transport returns is untrusted: the caller
 * checks sizes, hashes and OpenPGP signatures.
 */
export interface Transport {
  open(base: string, rel: string, signal?: AbortSignal): Promise<Opened>;
  /**
   * `file`: a descriptor the caller opened (without following links) and hashed; read from offset 0.
   * Every request it makes, and every answer it reads, ends when `signal` does (the file's deadline).
   */
  put?(
    base: string,
    rel: string,
    file: FileBody,
    sha256: string,
    signal: AbortSignal,
  ): Promise<void | { etag?: string }>;
  /**
   * Whether the store holds these very bytes at `rel` already, by what the store itself computed
   * of them (S3: the ETag of an object stored in one PUT is its MD5), never by what an uploader
   * wrote beside them (metadata anyone who can write there sets), so that a publish does not send
   * them again and does send again what was changed. `etag`: the one the store answered an earlier
   * publish's PUT of these very bytes at `rel` with (publish-record.ts), for a store whose ETag is
   * no MD5 (S3 with SSE-KMS): an object stored again since has another.
   */
  holds?(
    base: string,
    rel: string,
    file: { sha256: string; md5: string; size: number; etag?: string | undefined },
    signal: AbortSignal,
  ): Promise<boolean>;
  /** Before a publish's first `put`: what it needs from this machine (S3: the credentials) is there. */
  ready?(base: string): Promise<void>;
  /**
   * Called once after a publish's files are all `put`: e.g. the OCI manifests that name them, each
   * sent as a `step` of its own (under its own deadline).
   */
  commit?(base: string, files: PublishedFile[], step: PublishStep): Promise<void>;
  /** The objects below `base` whose path starts with `under`, and when each was stored (ms). */
  list?(base: string, under: string, signal: AbortSignal): Promise<{ rel: string; stored: number }[]>;
  /** Deletes `rel` below `base` (gone already is fine). */
  remove?(base: string, rel: string, signal: AbortSignal): Promise<void>;
}

/**
 * Runs one step of a publish (`what`: a manifest, named for the error) under a deadline sized from
 * the `bytes` it sends, aborting `signal` when it passes.
 */
export type PublishStep = <T>(
  what: string,
  bytes: number,
  run: (signal: AbortSignal) => Promise<T>,
) => Promise<T>;

/** A local file to send: an open descriptor (read with pread from 0, never closed here) and its size. */
export interface FileBody {
  fd: number;
  size: number;
}

export interface PublishedFile {
  rel: string;
  sha256: string;
  size: number;
}
