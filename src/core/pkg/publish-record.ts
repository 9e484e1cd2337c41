/**
 * What a publisher's earlier publishes stored in a bucket: for each object, the SHA-256 and size of
 * the bytes sent and the ETag the store answered that PUT with. A bucket encrypted with SSE-KMS (or
 * SSE-C) answers an ETag that is no MD5 of the bytes, so the MD5 check (s3.ts holds) never held
 * there and every publish sent every package again. The store's ETag changes when anyone stores the
 * object again, so an object whose ETag is still the one our PUT of these bytes got holds them: the
 * store's word, not metadata anyone who can write the bucket sets. Kept on the publisher's machine
 * ($XDG_STATE_HOME/blueprint/published, else ~/.local/state/…), one file per destination URL; lost
 * or damaged, it is only a publish that sends everything again.
 */
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../system/fs.js';
import { readBoundedFile } from '../system/read-bounded.js';

interface Stored {
  sha256: string;
  size: number;
  etag: string;
}

const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/** The folder of publish records for a publisher whose environment is `env`. */
export function publishRecordDir(env: NodeJS.ProcessEnv, home: string): string {
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : undefined;
  return path.join(state ?? path.join(home, '.local', 'state'), 'blueprint', 'published');
}

export class PublishRecord {
  private readonly now = new Map<string, Stored>();

  private constructor(
    private readonly file: string | undefined,
    private readonly to: string,
    private readonly before: Map<string, Stored>,
  ) {}

  /** The record of publishes to `to` kept in `dir` (none kept: `dir` undefined, or nothing there yet). */
  static async open(dir: string | undefined, to: string): Promise<PublishRecord> {
    if (!dir) return new PublishRecord(undefined, to, new Map());
    const file = path.join(dir, `${createHash('sha256').update(to).digest('hex').slice(0, 32)}.json`);
    const before = new Map<string, Stored>();
    const read = await readBoundedFile(file, MAX_RECORD_BYTES).catch(() => undefined);
    if (read?.ok) {
      try {
        const doc = JSON.parse(read.bytes.toString('utf8')) as {
          to?: unknown;
          files?: Record<string, unknown>;
        };
        if (doc.to === to && doc.files && typeof doc.files === 'object')
          for (const [rel, v] of Object.entries(doc.files)) {
            const s = v as Partial<Stored>;
            if (
              typeof s.sha256 === 'string' &&
              /^[0-9a-f]{64}$/.test(s.sha256) &&
              Number.isSafeInteger(s.size) &&
              typeof s.etag === 'string' &&
              s.etag.length > 0 &&
              s.etag.length <= 256
            )
              before.set(rel, { sha256: s.sha256, size: s.size!, etag: s.etag });
          }
      } catch {} // damaged: everything is sent again, and the record written anew
    }
    return new PublishRecord(file, to, before);
  }

  /** The ETag an earlier publish's PUT of exactly these bytes at `rel` was answered with. */
  etagOf(rel: string, sha256: string, size: number): string | undefined {
    const s = this.now.get(rel) ?? this.before.get(rel);
    return s && s.sha256 === sha256 && s.size === size ? s.etag : undefined;
  }

  /** `rel` was published now: stored with `etag` (its PUT's answer), or kept (the earlier entry stays). */
  published(rel: string, sha256: string, size: number, etag?: string): void {
    if (etag) this.now.set(rel, { sha256, size, etag });
    else {
      const kept = this.before.get(rel);
      if (kept && kept.sha256 === sha256 && kept.size === size) this.now.set(rel, kept);
    }
  }

  /** Writes what this publish stored and kept (objects it no longer names are left out). */
  async save(): Promise<void> {
    if (!this.file || this.now.size === 0) return;
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const files = Object.fromEntries([...this.now].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileAtomic(this.file, `${JSON.stringify({ to: this.to, files }, null, 1)}\n`, 0o600);
  }
}
