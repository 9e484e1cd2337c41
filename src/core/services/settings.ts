import path from 'node:path';
import { StorageError, UsageError } from '../errors.js';
import { layout } from '../system/paths.js';
import { adminJsonObject, readAdminFile } from './overrides.js';
import type { LoadedRegistration } from './registry.js';
import { allowedText, everySite, judgeSetting } from './settings-judge.js';
import type { SettingSpec } from './settings-schema.js';

/**
 * The admin's settings of a module (`blueprint service config NAME KEY=VALUE`, `settings:` in an
 * appliance file), kept root-owned beside the resource overrides as
 * ROOT/etc/blueprint/settings/NAME.json: `{ "KEY": "VALUE" }`, written crash-safe (a temporary
 * file, fsync, rename). Read at every plan: a change takes effect at the next start or restart.
 * Only keys the installed manifest declares in `service.settings`, with a value its bounds allow,
 * reach the environment; one an upgrade no longer declares (or bounds otherwise) is not applied
 * and is reported (`stale`) until the admin unsets it.
 */

export const settingsFile = (root: string, name: string) =>
  path.join(layout(root).root, 'etc/blueprint/settings', `${name}.json`);

export function invalid(file: string, why: string): StorageError {
  return new StorageError(
    `The settings of ${path.basename(file, '.json')} are not valid: ${why}`,
    'settings-invalid',
    `Fix or delete ${file} (\`blueprint service config NAME KEY=VALUE\` writes it), then start the service again.`,
  );
}

/** The stored values (an empty object when there is no file); a file that is not one is refused. */
export function storedSettings(root: string, name: string): Record<string, string> {
  const file = settingsFile(root, name);
  // No link followed at the name, no FIFO waited on, only a small regular file read, once.
  const text = readAdminFile(file, invalid);
  if (text === undefined) return {};
  const v = adminJsonObject(file, text, invalid);
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(v)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw invalid(file, `${JSON.stringify(k)} is not text, a number or true/false`);
    out[k] = String(value);
  }
  return out;
}

export interface SettingRow {
  key: string;
  /** Its type, for a form's control: a number field, a choice, a check box, text. */
  type: SettingSpec['type'];
  /** An integer's bounds. */
  min?: number;
  max?: number;
  /** An enum's values. */
  values?: string[];
  description: string;
  /** What it takes ("a whole number from 1 to 8"). */
  allowed: string;
  /** The manifest's env value, when it has one. */
  default?: string;
  /** The admin's value, when set. */
  value?: string;
  /** What the service gets at its next start: the admin's value, else the default. */
  effective?: string;
  /** The admin's value lets every site's pages in (an origins setting of `*`). */
  everySite?: boolean;
}

/** A stored value not applied: the installed version does not declare it, or bounds it otherwise. */
export interface StaleSetting {
  key: string;
  value: string;
  why: string;
}

export interface SettingsView {
  name: string;
  version: string;
  file: string;
  settings: SettingRow[];
  stale: StaleSetting[];
}

/** The module's settings as its next start takes them. */
export function settingsView(
  root: string,
  reg: Pick<LoadedRegistration, 'name' | 'version' | 'spec'>,
  stored = storedSettings(root, reg.name),
): SettingsView {
  const declared = reg.spec.settings ?? {};
  const stale: StaleSetting[] = [];
  for (const [key, value] of Object.entries(stored)) {
    // Own keys only: `toString` or `__proto__` is no setting of any module.
    const s = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (!s) stale.push({ key, value, why: `${reg.name} ${reg.version} does not declare it` });
    else {
      const j = judgeSetting(s, value);
      if (!j.ok) stale.push({ key, value, why: `${reg.name} ${reg.version}: it ${j.why}` });
    }
  }
  const settings = Object.entries(declared).map(([key, s]): SettingRow => {
    const def = reg.spec.env[key];
    const own = stale.some((x) => x.key === key) ? undefined : stored[key];
    const effective = own ?? def;
    return {
      key,
      type: s.type,
      ...(s.type === 'integer' ? { min: s.min, max: s.max } : {}),
      ...(s.type === 'enum' ? { values: [...s.values] } : {}),
      description: s.description,
      allowed: allowedText(s),
      ...(def !== undefined ? { default: def } : {}),
      ...(own !== undefined ? { value: own } : {}),
      ...(effective !== undefined ? { effective } : {}),
      ...(own !== undefined && everySite(s, own) ? { everySite: true } : {}),
    };
  });
  return { name: reg.name, version: reg.version, file: settingsFile(root, reg.name), settings, stale };
}

/**
 * What an install or upgrade says of the admin's settings the new version does not take (stale):
 * one line each, with the command that removes it; a settings file that cannot be read is said too
 * (the install goes on; the start refuses it, naming the file).
 */
export function staleSettingLines(root: string, reg: Pick<LoadedRegistration, 'name' | 'version' | 'spec'>) {
  try {
    return settingsView(root, reg).stale.map(
      (s) =>
        `${reg.name}: the setting ${s.key}=${s.value} is not applied (${s.why}); \`blueprint service config ${reg.name} --unset ${s.key}\` removes it`,
    );
  } catch (err) {
    return [(err as Error).message];
  }
}

/**
 * The registration with the admin's settings in its environment, and the memory limit they grow
 * (`resources.memoryPerSetting`); the same one when none apply. `stored`: values to judge instead
 * of the file's (a change not written yet, judged by admission first).
 */
export function withSettings(
  root: string,
  reg: LoadedRegistration,
  stored?: Record<string, string>,
  /** `memoryPerSetting.bytes: "model"`: the figure read from its models (model-memory.ts). */
  modelBytes?: number,
): LoadedRegistration {
  if (!reg.spec.settings) return reg;
  const view = settingsView(root, reg, stored);
  const env = { ...reg.spec.env };
  for (const r of view.settings) if (r.value !== undefined) env[r.key] = r.value;
  if (!view.settings.some((r) => r.value !== undefined)) return reg;
  const memory = settingsMemory(reg.spec, env, modelBytes);
  return { ...reg, spec: { ...reg.spec, env, resources: { ...reg.spec.resources, memory } } };
}

/** The memory limit with these settings: grown by `memoryPerSetting` over its defaults', never less. */
function settingsMemory(
  spec: LoadedRegistration['spec'],
  env: Record<string, string>,
  modelBytes = 0,
): number {
  const per = spec.resources.memoryPerSetting;
  if (!per) return spec.resources.memory;
  const bytes = per.bytes === 'model' ? modelBytes : per.bytes;
  const product = (e: Record<string, string | undefined>) => per.of.reduce((p, k) => p * Number(e[k]), 1);
  const more = (product(env) - product(spec.env)) * bytes;
  return Number.isFinite(more) && more > 0 ? spec.resources.memory + more : spec.resources.memory;
}

/**
 * Given values judged against the declared settings: the environment's text for each, or a usage
 * error naming every refused one and what it allows (an undeclared key: the keys there are).
 */
export function judgeSettings(
  reg: Pick<LoadedRegistration, 'name' | 'version' | 'spec'>,
  given: Record<string, unknown>,
): Record<string, string> {
  const declared: Record<string, SettingSpec> = reg.spec.settings ?? {};
  const keys = Object.keys(declared);
  const out: Record<string, string> = {};
  const refused: string[] = [];
  for (const [key, v] of Object.entries(given)) {
    // Own keys only: `toString` or `__proto__` is no setting of any module.
    const s = Object.hasOwn(declared, key) ? declared[key] : undefined;
    if (!s) {
      refused.push(
        `${reg.name} ${reg.version} has no setting ${key}` +
          (keys.length ? ` (its settings: ${keys.join(', ')})` : ' (it declares none)'),
      );
      continue;
    }
    const j = judgeSetting(s, v);
    if (j.ok) out[key] = j.value;
    else refused.push(`${key} ${j.why}`);
  }
  if (refused.length)
    throw new UsageError(
      `Refused: ${refused.join('; ')}`,
      keys.length
        ? `\`blueprint service config ${reg.name}\` lists its settings, what each allows and its default.`
        : 'Only the settings a module declares in its manifest (service.settings) can be changed.',
    );
  return out;
}
