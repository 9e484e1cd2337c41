import { findRegistration } from '../services/registry.js';
import { judgeSettings } from '../services/settings.js';
import { everySite } from '../services/settings-judge.js';
import type { Resource } from './resources.js';
import type { ApplianceSpec } from './schema.js';

/**
 * `settings:` of a module in an appliance file: the same file `blueprint service config` writes
 * (ROOT/etc/blueprint/settings/NAME.json, services/settings.ts), whole. Judged as the command
 * judges them against the installed manifest's `service.settings`: an undeclared key or a value
 * out of bounds blocks the plan (nothing is written), naming what is allowed. A module not yet
 * installed has its values written as given and judged at its start: one its version does not
 * take is not applied and `service config NAME` lists it. A module without `settings:` keeps
 * what the admin set with the command.
 */
export async function settingsResources(
  root: string,
  spec: ApplianceSpec,
): Promise<{ resources: Resource[]; blocked: string[] }> {
  const resources: Resource[] = [];
  const blocked: string[] = [];
  for (const m of spec.modules) {
    if (!m.settings || m.state === 'absent') continue;
    const reg = await findRegistration(root, m.name).catch(() => undefined);
    let values: Record<string, string>;
    if (reg) {
      try {
        values = judgeSettings(reg, m.settings);
      } catch (err) {
        blocked.push(`settings of ${m.name}: ${(err as Error).message.replace(/^Refused: /, '')}`);
        continue;
      }
    } else values = Object.fromEntries(Object.entries(m.settings).map(([k, v]) => [k, String(v)]));
    // An origins setting of * (every site's pages may call it) is said in the plan's line.
    const declared = reg?.spec.settings ?? {};
    const open = Object.entries(values).filter(([k, v]) =>
      declared[k] ? everySite(declared[k], v) : /_ORIGINS$/.test(k) && v.trim() === '*',
    );
    resources.push({
      kind: 'file',
      path: `etc/blueprint/settings/${m.name}.json`,
      content: `${JSON.stringify(values, null, 2)}\n`,
      mode: 0o644,
      what: `settings of ${m.name}${open.length ? ` (warning: ${open.map(([k]) => k).join(', ')} is *: every web site's pages may call it through a forwarded port)` : ''}`,
    });
  }
  return { resources, blocked };
}
