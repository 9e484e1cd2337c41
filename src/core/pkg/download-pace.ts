/**
 * How long one mirror may take over one package. A deadline of a minute plus the size at 16 KiB/s
 * let a mirror dripping just above that hold a 2 GiB package (and the package lock, and the next
 * mirror's turn) for ~36 hours. Now: the first minute is free (TLS, redirects, slow start, the
 * signature fetched first); after it, what has arrived must keep up with a floor of 128 KiB/s
 * (1 Mbit/s) counted from the end of that minute. A dripping mirror is given up as soon as it falls
 * behind (at 20 KiB/s: ~70 s in, whatever the size), not at the end of a deadline sized for the
 * slowest link; an honest link that stalls for a while keeps what it sent ahead. The worst case is
 * still bounded by the signed index's size: a minute plus the size at the floor. A box on a slower
 * link lowers the floor in ROOT/etc/blueprint/config.json: `"downloads": {"minKiBPerSecond": 32}`.
 */
import { BlueprintError, UsageError } from '../errors.js';
import { readBoundedFile } from '../system/read-bounded.js';

/**
 * `baseMs`: the free first minute; `minBytesPerSecond`: the floor after it (a small file's
 * deadline, e.g. a signature's, is the same: base plus its size at the floor). Tests scale these.
 */
export const downloadLimits = { baseMs: 60_000, minBytesPerSecond: 128 * 1024 };

/** The floor in bytes a second: config.json's `downloads.minKiBPerSecond`, else downloadLimits'. */
export async function downloadFloor(configFile: string | undefined): Promise<number> {
  if (configFile === undefined) return downloadLimits.minBytesPerSecond;
  // Root's own file (/etc/blueprint): a link at it is the admin's; a FIFO or a huge file is not read.
  const r = await readBoundedFile(configFile, 256 * 1024, { followLink: true });
  if (!r.ok) {
    if (r.why === 'open' && r.error.code === 'ENOENT') return downloadLimits.minBytesPerSecond;
    throw new UsageError(`${configFile} cannot be read (${r.why})`, 'Make it a regular JSON file.');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.bytes.toString('utf8'));
  } catch {
    throw new UsageError(`${configFile} is not JSON`, 'Fix or remove it.');
  }
  const downloads = (doc as { downloads?: unknown } | null)?.downloads;
  if (downloads === undefined) return downloadLimits.minBytesPerSecond;
  // A section the box cannot read as meant (`"downloads": 32`, a misspelt key) is refused, not
  // taken as no setting: the admin of a slow link would get the default floor with no word why.
  const isObject = typeof downloads === 'object' && downloads !== null && !Array.isArray(downloads);
  const unknown = isObject ? Object.keys(downloads).filter((k) => k !== 'minKiBPerSecond') : [];
  if (!isObject || unknown.length > 0)
    throw new UsageError(
      `${configFile}: downloads is ${JSON.stringify(downloads)}; the only setting it takes is minKiBPerSecond`,
      'Write it as "downloads": {"minKiBPerSecond": 32} (the slowest rate in KiB/s a package download may keep after its first minute).',
    );
  const v = (downloads as { minKiBPerSecond?: unknown }).minKiBPerSecond;
  if (v === undefined) return downloadLimits.minBytesPerSecond;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 1024 * 1024)
    throw new UsageError(
      `${configFile}: downloads.minKiBPerSecond is ${JSON.stringify(v)}, not a number of KiB/s from 1 to 1048576`,
      'Give the slowest rate a package download may keep after its first minute, e.g. "downloads": {"minKiBPerSecond": 32} for a 256 kbit/s link.',
    );
  return v * 1024;
}

/** One package's download from one mirror, watched against the floor. */
export interface Pace {
  /** Aborted when the download falls behind the floor (or `outer` aborts). */
  readonly signal: AbortSignal;
  /** The bytes received so far (a running total). */
  got(bytes: number): void;
  /** The error that says why, when it was the floor that ended the download. */
  failure(): BlueprintError | undefined;
  /** The download ended (either way): stops watching. */
  done(): void;
}

export interface PaceOf {
  /** Where from (the mirror's URL) and what (the package's file name), for the error. */
  base: string;
  name: string;
  /** The size the signed index gives. */
  size: number;
  floor: number;
  /** Where the floor is set, for the hint. */
  configFile?: string;
}

export function downloadPace(of: PaceOf, outer?: AbortSignal): Pace {
  const { baseMs } = downloadLimits;
  const start = performance.now();
  let bytes = 0;
  let failure: BlueprintError | undefined;
  let timer: NodeJS.Timeout | undefined;
  const ac = new AbortController();
  // The moment the bytes so far stop being enough: a timer to it, moved on when more arrived.
  const due = () => start + baseMs + (bytes / of.floor) * 1000;
  const arm = () => {
    timer = setTimeout(check, Math.min(2 ** 31 - 1, Math.max(0, due() - performance.now())));
    timer.unref();
  };
  const check = () => {
    const now = performance.now();
    if (now < due()) return arm();
    failure = tooSlow(of, bytes, now - start);
    ac.abort(failure);
  };
  arm();
  return {
    signal: outer ? AbortSignal.any([outer, ac.signal]) : ac.signal,
    got: (n) => {
      bytes = n;
    },
    failure: () => failure,
    done: () => clearTimeout(timer),
  };
}

function tooSlow(of: PaceOf, bytes: number, ms: number): BlueprintError {
  const kib = (n: number) => (n < 10 ? n.toFixed(1) : String(Math.round(n)));
  const rate = kib(bytes / 1024 / Math.max(ms / 1000, 0.001));
  const floor = kib(of.floor / 1024);
  const where = of.configFile ?? '/etc/blueprint/config.json';
  return new BlueprintError(
    `${of.base} sent ${of.name} at ${rate} KiB/s (${bytes} of its ${of.size} bytes in ${Math.round(ms / 1000)} s); after its first ${Math.round(downloadLimits.baseMs / 1000)} s a package must come at ${floor} KiB/s or faster`,
    'mirror-timeout',
    `The mirror is stalling or dripping; the repository's other mirrors, if any, were tried. Try again later or add a faster mirror (bpkg repo add NAME URL --mirror URL2). If this box's own link is slower than ${floor} KiB/s, lower the floor in ${where}: "downloads": {"minKiBPerSecond": N}.`,
  );
}
