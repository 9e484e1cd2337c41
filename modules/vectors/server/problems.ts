/**
 * What went wrong with operations, for the collections' info (status red, the error in
 * optimizer_status: info.ts) and GET /telemetry: records of the log set aside at start
 * (quarantine.ts), kept while their files are there, and changes that threw while applied since
 * start (store.ts commit: not logged; what they changed before they threw stays until a restart).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadQuarantine, type Quarantined, quarantineNote } from './quarantine.js';

export interface FailedApply {
  operation: number;
  collection: string | null;
  error: string;
}

/** Changes that threw kept for the info: the latest this many. */
const FAILED_KEPT = 16;

export class Problems {
  private quarantined: Quarantined[] = [];
  readonly failedApplies: FailedApply[] = [];

  /** The records in DATA/quarantine/ now (at start, before the log is replayed). */
  load(dataDir: string): void {
    this.quarantined = loadQuarantine(dataDir);
  }

  /** A record set aside by this start (its file replaces an entry of the same name). */
  setAside(q: Quarantined): void {
    this.quarantined = this.quarantined.filter((e) => e.file !== q.file).concat(q);
  }

  /** A record the admin discarded or applied again (quarantine-admin.ts): its file is gone. */
  drop(file: string): void {
    this.quarantined = this.quarantined.filter((e) => e.file !== file);
  }

  /** The operation a record set aside holds (its log JSON parsed); undefined if it does not parse. */
  recordOf(dataDir: string, q: Quarantined): unknown {
    try {
      const text = JSON.parse(readFileSync(join(dataDir, q.file), 'utf8')).record;
      return JSON.parse(String(text));
    } catch {
      return undefined;
    }
  }

  failed(f: FailedApply): void {
    if (this.failedApplies.push(f) > FAILED_KEPT) this.failedApplies.shift();
  }

  /** Records set aside, for a collection or all of them. */
  quarantine(collection?: string): Quarantined[] {
    return collection === undefined
      ? this.quarantined
      : this.quarantined.filter((q) => q.collection === collection);
  }

  /** What a collection's info reports as failed, one sentence each. */
  of(collection: string): string[] {
    const q = this.quarantine(collection);
    return [
      ...(q.length > 0 ? [quarantineNote(q)] : []),
      ...this.failedApplies
        .filter((f) => f.collection === collection)
        .map(
          (f) =>
            `operation ${f.operation} failed while applied (${f.error}) and was not logged; what it changed before it failed stays until the service restarts`,
        ),
    ];
  }
}
