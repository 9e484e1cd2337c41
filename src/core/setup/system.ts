/**
 * `apply`'s `system:` (issue 21): the OS version a box of the fleet runs, installed as an A/B
 * system update from a repository's `system-bundle` package (src/core/update/from-repo.ts). Apply
 * writes the other slot and leaves the reboot to the operator (Ansible's `reboot` when changed):
 * the new system boots on trial and its health check keeps it or brings the old one back.
 */
import { ExitCode } from '../errors.js';
import { orderSystemVersions } from '../update/version-order.js';
import type { ModuleOps } from './ops.js';
import type { Change } from './plan.js';
import type { ApplianceSpec } from './schema.js';

/** The change that brings the box to `spec.system.version`, or why apply cannot. */
export async function systemChange(
  spec: ApplianceSpec,
  ops: ModuleOps | undefined,
): Promise<{ changes: Change[]; blocked: string[] }> {
  const want = spec.system;
  if (!want) return { changes: [], blocked: [] };
  if (!ops?.systemStatus)
    return {
      changes: [],
      blocked: ['system: A/B updates need the box’s operations: plan through openBox (src/app)'],
    };
  let st: Awaited<ReturnType<NonNullable<ModuleOps['systemStatus']>>>;
  try {
    st = await ops.systemStatus();
  } catch (err) {
    // No RAUC, or none configured: the box was not built with A/B slots (`system status` says the
    // same, exit 3); its message says which ('this box has no A/B slots: …').
    const noSlots = (err as { exitCode?: unknown }).exitCode === ExitCode.notFound;
    return {
      changes: [],
      blocked: [
        noSlots
          ? `system: ${(err as Error).message}; leave system: out of the file for this box, or give it an image built with scripts/build-image.sh --ab`
          : `system: ${(err as Error).message}`,
      ],
    };
  }
  const change = (action: Change['action'], detail: string): Change => ({
    action,
    kind: 'system',
    target: want.version,
    what: `system ${want.version} from ${want.from}`,
    detail,
  });
  if (st.version === want.version) return { changes: [change('unchanged', 'running')], blocked: [] };
  const other = st.slots.find((s) => !s.booted);
  const there = other?.bundle.version === want.version;
  if (there && other?.next && other.bootStatus !== 'bad')
    return { changes: [change('unchanged', 'installed; boots on trial after a reboot')], blocked: [] };
  if (there && other?.bootStatus === 'bad' && !want.force)
    return {
      changes: [],
      blocked: [
        `system ${want.version} failed its health check (or did not boot) on this box, which went back to ${st.version ?? 'its running system'}; it is not tried again unless system.force is true`,
      ],
    };
  // In semantic-version order (update/version-order.ts): a version it cannot order is not taken
  // for a newer one.
  const order = st.version ? orderSystemVersions(want.version, st.version) : 1;
  if (order === undefined && !want.force)
    return {
      changes: [],
      blocked: [
        `system ${want.version} cannot be ordered against the running ${st.version}, which is no semantic version; versions only go up, so it is applied only if system.force is true`,
      ],
    };
  if (order !== undefined && order < 0 && !want.force)
    return {
      changes: [],
      blocked: [
        `system ${want.version} is older than the running ${st.version}; versions only go up unless system.force is true`,
      ],
    };
  return {
    changes: [change('update', `running ${st.version ?? 'unknown'}; boots on trial after a reboot`)],
    blocked: [],
  };
}
