/**
 * Upgrades held back to keep what installed packages need, as `bpkg list --upgradable` and
 * `bpkg upgrade --dry-run` show them: each in the words a real `bpkg upgrade` warns with (core's
 * `heldBackLine`, one wording for the three), apt's "The following packages have been kept back".
 */
import { type HeldUpgrade, heldBackLine } from '../core/pkg/constraints.js';

export type { HeldUpgrade };

/** Each one's line, as `bpkg upgrade` warns it (the dashboard lists them). */
export const heldBackItems = (held: HeldUpgrade[]): string[] => held.map(heldBackLine);

/** The block under the list: none when nothing is held back. */
export const heldBackLines = (held: HeldUpgrade[]): string[] =>
  held.length ? ['Held back:', ...held.map((h) => `  ${heldBackLine(h)}`)] : [];

/**
 * An entry of `--json`'s `heldBack` (docs/pkg-json.md): `name`, `from`, `newest` (what its
 * repository offers), `to` (what the upgrade installs: `from` when it stays), `because` (the
 * constraint), `installedVersion` as in `upgradable`, and `message` (the line the human list shows).
 */
export const heldBackJson = (h: HeldUpgrade) => ({
  ...h,
  installedVersion: h.from,
  message: heldBackLine(h),
});
