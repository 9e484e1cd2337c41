/**
 * The console's sources, escaped (sources.ts coreSources wraps its own in it): what a screen shows
 * of a repository, a key or a container reaches the terminal through Ink as it is. A ZWJ sequence
 * of emoji is shown as its parts (emojiParts).
 */
import type { ModuleOps, SetupPlan } from '../app/index.js';
import { escapeLine, escapeText } from '../present/escape.js';
import { escapeData } from '../present/escape-data.js';
import type { Sources } from './sources.js';

/**
 * A ZWJ between two emoji: the joiner of a family, a profession, a rainbow flag. As Unicode's GB11
 * joins them (`ExtPict Extend* ZWJ × ExtPict`): any run of Extend characters (Grapheme_Extend and
 * the skin tones) may sit between the first emoji and its joiner, a VS15, a combining mark, a tag
 * character or a tone and VS16; allowing only one tone or VS16 there kept such a family joined
 * (REVIEW15, test/security/console-zwj-extend-bypass). Checked for first (includes), so the regex,
 * with its Unicode properties, is compiled only for text that has a joiner.
 */
const EMOJI_ZWJ =
  /(\p{Extended_Pictographic}[\p{Grapheme_Extend}\p{Emoji_Modifier}]*)\u200D(?=\p{Extended_Pictographic})/gu;

/**
 * `text` with each ZWJ sequence of emoji as its parts (👨‍👩‍👧‍👦 as 👨👩👧👦). Terminals disagree on such a
 * sequence: a grapheme-aware one draws one emoji in two columns, xterm and the Linux console each
 * part, and tmux 3.3a keeps it in one cell of two columns but only its first 21 bytes, so the rest of
 * the family was lost. Its parts are drawn alike everywhere, two columns each, as string-width
 * counts them; a joiner in other scripts (Indic conjuncts) is kept.
 */
export function emojiParts(text: string): string {
  return text.includes('\u200d') ? text.replace(EMOJI_ZWJ, '$1') : text;
}

/**
 * One line of untrusted text that reaches a screen without the sources (the wizard reads a key
 * file and a .pub file itself): escaped and with its ZWJ sequences as parts, as the sources' text.
 */
export function shownLine(text: string): string {
  return emojiParts(escapeLine(text));
}

/** escapeData, then emojiParts for every string in it. */
function shownData<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return emojiParts(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(escapeData(value)) as T;
}

/**
 * What the screens get from core, escaped: every string a source returns, every error it throws
 * and every progress or log line it reports may carry text from a repository, a key or a
 * container, and Ink passes escape sequences straight to the terminal.
 */
export function escapedSources(s: Sources): Sources {
  const clean = (err: unknown) => {
    if (err instanceof Error) {
      err.message = emojiParts(escapeText(err.message));
      const e = err as Error & { hint?: unknown };
      if (typeof e.hint === 'string') e.hint = emojiParts(escapeText(e.hint));
    }
    return err;
  };
  const wrap =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A): Promise<R> =>
      fn(...a).then(shownData, (err) => {
        throw clean(err);
      });
  const line = (f: (l: string) => void) => (l: string) => f(emojiParts(escapeText(l)));
  // The wizard's operations feed its plan (names, URLs are compared): only their errors are escaped.
  const ops = (o: ModuleOps): ModuleOps => {
    const out: Record<string, unknown> = { ...o };
    for (const [k, v] of Object.entries(o))
      if (typeof v === 'function')
        out[k] = (...a: unknown[]) =>
          (v as (...a: unknown[]) => Promise<unknown>).apply(o, a).catch((err) => {
            throw clean(err);
          });
    return out as unknown as ModuleOps;
  };
  return {
    ...s,
    moduleOps: () => s.moduleOps().then((o) => ops(o)),
    // The plan carries file contents to write: only its errors are escaped (the screen escapes lines).
    planSetup: (answers) =>
      s.planSetup(answers).catch((err) => {
        throw clean(err);
      }),
    applySetup: (plan, onChange, signal, hold) =>
      s.applySetup(plan, onChange, signal, hold).catch((err) => {
        throw clean(err);
      }),
    // Its value is a release function, not text: only its errors are escaped.
    ...(s.holdSetup
      ? {
          holdSetup: (plan: SetupPlan, firstSetup: boolean) =>
            s.holdSetup!(plan, firstSetup).catch((err) => {
              throw clean(err);
            }),
        }
      : {}),
    host: wrap(s.host),
    exposure: wrap(s.exposure),
    gpus: wrap(s.gpus),
    services: wrap(s.services),
    updates: wrap(s.updates),
    packages: wrap(s.packages),
    keys: wrap(s.keys),
    ...(s.signerOf ? { signerOf: wrap(s.signerOf) } : {}),
    ...(s.upgradePlan ? { upgradePlan: wrap(s.upgradePlan) } : {}),
    ...(s.catalog ? { catalog: wrap(s.catalog) } : {}),
    ...(s.encryptionTarget ? { encryptionTarget: wrap(s.encryptionTarget) } : {}),
    ...(s.encrypt ? { encrypt: wrap(s.encrypt) } : {}),
    ...(s.encryption ? { encryption: wrap(s.encryption) } : {}),
    ...(s.systemAndEgress ? { systemAndEgress: wrap(s.systemAndEgress) } : {}),
    ...(s.outbound ? { outbound: wrap(s.outbound) } : {}),
    ...(s.inspect ? { inspect: wrap(s.inspect) } : {}),
    ...(s.settings ? { settings: wrap(s.settings) } : {}),
    ...(s.configure ? { configure: wrap(s.configure) } : {}),
    ...(s.serviceAction ? { serviceAction: wrap(s.serviceAction) } : {}),
    ...(s.system ? { system: wrap(s.system) } : {}),
    ...(s.systemAction
      ? { systemAction: wrap((action, progress, signal) => s.systemAction!(action, line(progress), signal)) }
      : {}),
    ...(s.packageAction
      ? {
          packageAction: wrap((action, name, progress, signal, approvals) =>
            s.packageAction!(action, name, line(progress), signal, approvals),
          ),
        }
      : {}),
    ...(s.followLogs
      ? {
          followLogs: wrap((name, onLine, signal, onWait) =>
            s.followLogs!(name, line(onLine), signal, onWait),
          ),
        }
      : {}),
  };
}
