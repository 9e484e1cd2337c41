import { VerificationError } from '../core/errors.js';
import type { PackageHooks } from '../core/pkg/hooks.js';
import type { Manifest } from '../core/pkg/index.js';
import { parseService } from '../core/services/schema.js';

/**
 * The admin's approval of an outbound module's hosts at install (issue 19), as the console and the
 * dashboard collect it: module name -> the exact hosts the admin was shown and approved. The CLI's
 * `--yes` approves whatever the module declares; an approval here holds only for the list shown,
 * so a package that turns out to declare other hosts is refused as if nothing had been approved.
 */
export type OutboundApprovals = Record<string, string[]>;

/** A module asks for outbound network the admin has not approved: names the hosts, to ask about them. */
export class OutboundApprovalError extends VerificationError {
  constructor(
    readonly module: string,
    readonly hosts: string[],
    cause: VerificationError,
  ) {
    super(cause.message, cause.code, cause.hint, { cause });
  }

  /** `--json`'s error carries the module and its hosts, for a script to show or approve them. */
  override toJSON() {
    return { ...super.toJSON(), module: this.module, hosts: this.hosts };
  }
}

/** The hosts a manifest's service declares when it asks for outbound network; else undefined. */
function declaredOutbound(manifest: Manifest): string[] | undefined {
  if (manifest.service === undefined) return undefined;
  const spec = parseService(manifest.service);
  return spec.network === 'outbound' ? spec.outbound : undefined;
}

const sameHosts = (a: string[], b: string[]) => {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((h, i) => h === y[i]);
};

/**
 * The package hooks with the approvals applied: a module whose declared hosts are exactly the
 * approved ones is prepared as approved; a refusal names the module's hosts (OutboundApprovalError).
 */
export function withOutboundApprovals(hooks: PackageHooks, approvals: OutboundApprovals = {}): PackageHooks {
  const prepare = hooks.prepare?.bind(hooks);
  if (!prepare) return hooks;
  return {
    ...hooks,
    async prepare(pkg, hook) {
      const declared = declaredOutbound(pkg.manifest);
      const shown = Object.hasOwn(approvals, pkg.name) ? approvals[pkg.name] : undefined;
      const approved = declared !== undefined && shown !== undefined && sameHosts(shown, declared);
      try {
        await prepare(pkg, approved ? { ...hook, yes: true } : hook);
      } catch (err) {
        if (declared && err instanceof VerificationError && err.code === 'network-not-approved')
          throw new OutboundApprovalError(pkg.name, declared, err);
        throw err;
      }
    },
  };
}
