/** Human text for `blueprint system status|update|rollback` (A/B system updates, issue 21). */
import type { InstallResult, SlotStatus, SystemReport, SystemStatus } from '../app/index.js';
import { escapeLine } from './escape.js';
import { showFingerprint } from './fingerprint.js';
import { shownHint } from './root-in-hints.js';

const show = (v: string | null | undefined): string => (v ? escapeLine(v) : '-');

/**
 * A slot's version: its bundle's; for one RAUC never wrote (the factory image the builder flashed:
 * no bundle recorded), the running system's when it is the one booted, else the factory image
 * when its boot status is good, or that it holds none.
 */
export function slotVersion(s: SlotStatus, running: string | null | undefined): string {
  if (s.bundle.version)
    return `${escapeLine(s.bundle.version)}${s.bundle.build ? ` (build ${escapeLine(s.bundle.build)})` : ''}`;
  if (s.booted) return `${show(running)} (the factory image: no update written to this slot)`;
  // Not running and never written by RAUC, yet good: the image the box came with, left in its slot
  // when an update booted the other (QA14: it read as holding nothing, and rollback as 'version -').
  return s.bootStatus === 'good'
    ? 'not recorded: the factory image, the system this box came with'
    : 'none recorded (no update written to this slot)';
}

/** What `system rollback` will do now, in words: the console's confirm (the CLI's --help says the same). */
export function rollbackLines(st: SystemStatus): string[] {
  const booted = st.slots.find((s) => s.booted);
  const other = st.slots.find((s) => !s.booted);
  if (!booted || !other) return ['This box has no other system slot to go back to.'];
  if (!booted.next)
    return [
      `An update to slot ${show(other.bootname)} (${slotVersion(other, st.version)}) is pending: it is cancelled,`,
      `and slot ${show(booted.bootname)}, running now, boots next again.`,
    ];
  return [
    `Slot ${show(other.bootname)} (version ${slotVersion(other, st.version)}, ${other.bootStatus ? escapeLine(other.bootStatus) : 'never checked'}) boots next, on trial,`,
    'after a reboot; if its health check fails the box comes back on this slot by itself.',
  ];
}

function slotLine(s: SlotStatus, running: string | null | undefined): string {
  const marks = [s.booted ? 'booted' : '', s.next ? 'boots next' : ''].filter(Boolean).join(', ');
  return [
    `  slot ${show(s.bootname)} (${show(s.name)}, ${show(s.device)})${marks ? `: ${marks}` : ''}`,
    `    version ${slotVersion(s, running)}`,
    `    boot status ${show(s.bootStatus)}, RAUC state ${show(s.state)}${s.installedAt ? `, installed ${escapeLine(s.installedAt)}` : ''}`,
  ].join('\n');
}

/** `system status` when RAUC answered, or when it could not (no A/B slots here): the version, and why. */
export function formatSystemReport(r: SystemReport): string {
  if (r.slotsAvailable) return formatSystemStatus(r);
  const why = r.slotsUnavailable;
  return [
    `System version ${r.version ? escapeLine(r.version) : 'unknown'}`,
    `Update slots: unavailable (${escapeLine(why.message)})`,
    ...(why.hint ? [`hint: ${escapeLine(shownHint(why.hint))}`] : []),
  ].join('\n');
}

export function formatSystemStatus(st: SystemStatus): string {
  return [
    `System ${show(st.compatible)} version ${show(st.version)}, running slot ${show(st.booted)}`,
    ...st.slots.map((slot) => slotLine(slot, st.version)),
  ].join('\n');
}

export function formatInstall(r: InstallResult & { package?: { repo: string; signer: string } }): string {
  return [
    ...(r.package
      ? [
          `From repository ${escapeLine(r.package.repo)}: package signed by ${escapeLine(showFingerprint(r.package.signer))}; bundle verified by RAUC.`,
        ]
      : []),
    `Installed ${show(r.bundle.compatible)} ${show(r.bundle.version)} into slot ${show(r.slot.bootname)}${r.forced ? ' (forced)' : ''}; running ${show(r.from)}.`,
    `Slot ${show(r.slot.bootname)} boots next, on trial: reboot to start it. If its health check fails, or it`,
    'does not boot three times, the box comes back on the running slot by itself.',
  ].join('\n');
}

export function formatRollback(slot: SlotStatus): string {
  return `Slot ${show(slot.bootname)} (version ${slot.bundle.version ? show(slot.bundle.version) : slotVersion(slot, null)}) boots next, on trial: reboot to go back.`;
}
