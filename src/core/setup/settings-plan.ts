import { findRegistration } from '../services/registry.js';
import { judgeSettings, storedSettings } from '../services/settings.js';
import { everySite } from '../services/settings-judge.js';
import type { Resource } from './resources.js';
import type { ApplianceSpec } from './schema.js';

/**
 * `settings:` of a module in an appliance file: the file `blueprint service config` writes
 * (ROOT/etc/blueprint/settings/NAME.json). Judged as the command judges them against the installed
 * manifest's `service.settings`: an undeclared key or a value out of bounds blocks the plan
 * (nothing is written), naming what is allowed. A module not yet installed has its values written
 * as given and judged at its start: one its version does not take is not applied and `service
 * config NAME` lists it. The file sets the keys it names (`KEY: null`: back to the default) and
 * leaves the others as they are, and apply writes them under the command's lock, in the file as
 * it is then: an admin's `service config` at the same moment keeps its keys.
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
    const given = Object.fromEntries(Object.entries(m.settings).filter(([, v]) => v !== null));
    const unset = Object.keys(m.settings).filter((k) => m.settings?.[k] === null);
    let set: Record<string, string>;
    let stored: Record<string, string>;
    try {
      set = reg
        ? judgeSettings(reg, given)
        : Object.fromEntries(Object.entries(given).map(([k, v]) => [k, String(v)]));
      stored = storedSettings(root, m.name);
    } catch (err) {
      blocked.push(`settings of ${m.name}: ${(err as Error).message.replace(/^Refused: /, '')}`);
      continue;
    }
    const values = { ...stored };
    for (const k of unset) delete values[k];
    Object.assign(values, set);
    // Only defaults asked of a module with none set: nothing to write.
    if (!Object.keys(values).length && !Object.keys(stored).length) continue;
    // An origins setting of * (every site's pages may call it) is said in the plan's line.
    const declared = reg?.spec.settings ?? {};
    const open = Object.entries(set).filter(([k, v]) =>
      declared[k] ? everySite(declared[k], v) : /_ORIGINS$/.test(k) && v.trim() === '*',
    );
    resources.push({
      kind: 'file',
      path: `etc/blueprint/settings/${m.name}.json`,
      content: `${JSON.stringify(values, null, 2)}\n`,
      mode: 0o644,
      settings: { module: m.name, set, unset },
      what: `settings of ${m.name}${open.length ? ` (warning: ${open.map(([k]) => k).join(', ')} is *: every web site's pages may call it through a forwarded port)` : ''}`,
    });
  }
  return { resources, blocked };
}
