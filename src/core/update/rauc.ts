/**
 * RAUC (https://rauc.io, Debian 12's `rauc` 1.8), the engine of A/B system updates: the one way
 * this module reaches it is `RaucRunner`, so tests can run a real RAUC service on a private D-Bus
 * or hand in RAUC's recorded output. Parsing is pure: the JSON shapes are those of RAUC 1.8's
 * `r_status_formatter_json` and `info_formatter_json_base` (src/main.c, tag v1.8).
 */
import { BlueprintError, VerificationError } from '../errors.js';
import { quotedLine } from '../system/tool-output.js';

export interface RaucResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rauc ARGS...`; resolves with its exit status (never rejects for a non-zero one). */
export interface RaucRunner {
  run(args: string[], opts?: { signal?: AbortSignal }): Promise<RaucResult>;
}

/** One slot as RAUC reports it, with the fields an admin needs named plainly. */
export interface SlotStatus {
  /** RAUC's slot name, e.g. `rootfs.0`. */
  name: string;
  class: string;
  /** The name the bootloader knows it by (`A`, `B`). */
  bootname: string | null;
  device: string;
  /** RAUC's slot state: `booted`, `active` (a parent of the booted slot) or `inactive`. */
  state: string;
  booted: boolean;
  /** The slot the bootloader starts next. */
  next: boolean;
  /** The bootloader's verdict: `good` (bootable), `bad` (never tried again), null when it has none. */
  bootStatus: 'good' | 'bad' | null;
  /** The bundle last written into the slot; null for a slot RAUC never wrote (the factory image). */
  bundle: {
    compatible: string | null;
    version: string | null;
    description: string | null;
    build: string | null;
  };
  installedAt: string | null;
  installCount: number | null;
  activatedAt: string | null;
  /** RAUC's result of the last write: `ok`, or its failure text. */
  writeStatus: string | null;
}

export interface RaucStatus {
  compatible: string;
  variant: string;
  /** Bootname of the running slot. */
  booted: string | null;
  /** Slot name the bootloader starts next (RAUC's `boot_primary`). */
  next: string | null;
  slots: SlotStatus[];
}

export interface BundleInfo {
  compatible: string;
  version: string;
  description: string | null;
  build: string | null;
  images: { slotClass: string; filename: string; sha256: string; size: number }[];
}

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});

function parseJson(text: string, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new BlueprintError(
      `RAUC's ${what} is not JSON`,
      'rauc-output',
      'Is `rauc` RAUC 1.8 or later?',
      undefined,
      {
        cause: err,
      },
    );
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new BlueprintError(`RAUC's ${what} is not a JSON object`, 'rauc-output');
  return value as Json;
}

/** `rauc status --detailed --output-format=json`: both slots (each an object keyed by its name). */
export function parseRaucStatus(text: string): RaucStatus {
  const root = parseJson(text, 'status');
  const next = str(root.boot_primary);
  const bootedName = str(root.booted);
  const slots: SlotStatus[] = [];
  for (const entry of Array.isArray(root.slots) ? root.slots : []) {
    for (const [name, raw] of Object.entries(obj(entry))) {
      const s = obj(raw);
      const detail = obj(s.slot_status);
      const bundle = obj(detail.bundle);
      const boot = str(s.boot_status);
      slots.push({
        name,
        class: str(s.class) ?? '',
        bootname: str(s.bootname),
        device: str(s.device) ?? '',
        state: str(s.state) ?? 'unknown',
        booted: str(s.state) === 'booted',
        next: name === next,
        bootStatus: boot === 'good' || boot === 'bad' ? boot : null,
        bundle: {
          compatible: str(bundle.compatible),
          version: str(bundle.version),
          description: str(bundle.description),
          build: str(bundle.build),
        },
        installedAt: str(obj(detail.installed).timestamp),
        installCount: num(obj(detail.installed).count),
        activatedAt: str(obj(detail.activated).timestamp),
        writeStatus: str(detail.status),
      });
    }
  }
  // RAUC lists slots in hash-table order; A before B reads better and is stable.
  slots.sort((a, b) => (a.bootname ?? a.name).localeCompare(b.bootname ?? b.name));
  return {
    compatible: str(root.compatible) ?? '',
    variant: str(root.variant) ?? '',
    booted: bootedName,
    next,
    slots,
  };
}

/** `rauc info --output-format=json BUNDLE`: what the bundle's signed manifest says. */
export function parseBundleInfo(text: string): BundleInfo {
  const root = parseJson(text, 'bundle information');
  const compatible = str(root.compatible);
  const version = str(root.version);
  if (!compatible || !version)
    throw new VerificationError(
      'the bundle names no compatible or no version',
      'bundle-manifest',
      'Build bundles with `scripts/build-image.sh --bundle`, which sets both.',
    );
  const images: BundleInfo['images'] = [];
  for (const entry of Array.isArray(root.images) ? root.images : []) {
    for (const [slotClass, raw] of Object.entries(obj(entry))) {
      const i = obj(raw);
      images.push({
        slotClass,
        filename: str(i.filename) ?? '',
        sha256: str(i.checksum) ?? '',
        size: num(i.size) ?? 0,
      });
    }
  }
  return { compatible, version, description: str(root.description), build: str(root.build), images };
}

/**
 * RAUC's reason for a failure, from its stderr: `LastError: …` when the service answered (install),
 * else the last line that is not one of its `rauc-Message:` progress lines.
 */
export function raucReason(stderr: string, stdout = ''): string {
  const all = `${stdout}\n${stderr}`;
  const last = /LastError:\s*(.+)/.exec(all);
  if (last) return quotedLine(last[1]!.trim());
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^rauc-Message:|^\(rauc:\d+\)|^\d+% |^installing$/.test(l));
  return quotedLine(lines.at(-1) ?? 'rauc failed without a message');
}

/** A failed signature or a damaged bundle, as RAUC words it: the bundle is refused. */
export function isVerificationFailure(reason: string): boolean {
  // A tool RAUC could not start is the box's problem, not the bundle's.
  if (/Failed to (start|execute)/i.test(reason)) return false;
  return /signature|verif|CMS|certificate|Invalid bundle|checksum/i.test(reason);
}
