import type { SettingsChange } from '../app/services.js';
import type { ServiceInspection } from '../core/services/inspect.js';
import type { SettingsView } from '../core/services/settings.js';
import { escapeLine } from './escape.js';
import { startLines } from './service-actions.js';
import { table } from './table.js';

/**
 * `blueprint service config NAME`: each setting's value (the admin's, else the default), default
 * and what it allows, then its description; stored ones the installed version does not apply.
 * Every text here is the module's (its manifest) or the admin's file: escaped.
 */
export function settingsText(v: SettingsView): string {
  const name = escapeLine(v.name);
  if (!v.settings.length && !v.stale.length)
    return `${name} ${escapeLine(v.version)} declares no settings (its manifest's service.settings).`;
  const lines: string[] = [];
  if (v.settings.length) {
    lines.push(
      table([
        ['SETTING', 'VALUE', 'DEFAULT', 'ALLOWED'],
        ...v.settings.map((s) => [
          escapeLine(s.key),
          s.value === undefined ? '-' : escapeLine(s.value),
          s.default === undefined ? '(unset)' : escapeLine(s.default),
          escapeLine(s.allowed),
        ]),
      ]),
    );
    lines.push('');
    for (const s of v.settings) lines.push(`${escapeLine(s.key)}: ${escapeLine(s.description)}`);
  }
  const warned = settingsWarnings(v);
  if (warned.length) lines.push('', ...warned);
  if (v.settings.length)
    lines.push(
      '',
      `Set one with \`blueprint service config ${name} KEY=VALUE\`, back to its default with --unset KEY; it applies at the next start or restart.`,
    );
  return lines.join('\n');
}

/** An origins setting of `*`, and stored ones not applied: the CLI's and the dashboard's words. */
export function settingsWarnings(v: SettingsView): string[] {
  const out: string[] = [];
  for (const s of v.settings)
    if (s.everySite)
      out.push(
        `warning: ${escapeLine(s.key)} is *: every web site's pages in your browser may call ${escapeLine(v.name)} through a forwarded port. Name the origins instead.`,
      );
  for (const s of v.stale)
    out.push(
      `not applied: ${escapeLine(s.key)}=${escapeLine(s.value)} (${escapeLine(s.why)}); remove it with \`blueprint service config ${escapeLine(v.name)} --unset ${escapeLine(s.key)}\``,
    );
  return out;
}

/** The answer to a change: what is set now, and when it applies. */
export function settingsChangeText(c: SettingsChange): string {
  const name = escapeLine(c.name);
  const set = c.settings.filter((s) => s.value !== undefined);
  const lines = [
    c.changed
      ? `${name}'s settings written to ${escapeLine(c.file)}${set.length ? `: ${set.map((s) => `${escapeLine(s.key)}=${escapeLine(s.value!)}`).join(' ')}` : ' (all at their defaults)'}`
      : `${name}'s settings are unchanged`,
    ...settingsWarnings(c),
  ];
  if (c.restarted) lines.push(...startLines(c.restarted, 'restarted'));
  else if (c.running)
    lines.push(
      `${name} runs with the old ones: they apply at its next restart (\`blueprint service restart ${name}\`, or --restart).`,
    );
  else if (c.changed) lines.push(`They apply when ${name} next starts.`);
  return lines.join('\n');
}

/**
 * `service inspect`'s settings: each one the next start gives (the admin's or the default) and,
 * when it runs with another, that one; stored ones not applied. No lines for a module with none.
 */
export function inspectSettingsLines(i: Pick<ServiceInspection, 'name' | 'settings'>): string[] {
  const s = i.settings;
  if (!s) return [];
  const lines = ['', `Settings (\`blueprint service config ${escapeLine(i.name)}\`):`];
  for (const r of s.rows) {
    const next = r.effective === undefined ? '(unset)' : escapeLine(r.effective);
    const from = r.value !== undefined ? 'set by the admin' : 'default';
    const runs =
      r.running !== undefined && r.running !== (r.effective ?? '')
        ? `; runs with ${escapeLine(r.running)} until it restarts`
        : '';
    lines.push(`  ${escapeLine(r.key).padEnd(16)} ${next} (${from}${runs})`);
  }
  for (const x of s.stale)
    lines.push(
      `  ${escapeLine(x.key).padEnd(16)} not applied: ${escapeLine(x.value)} (${escapeLine(x.why)})`,
    );
  return lines;
}

/**
 * What a console or a form offers to choose from for a setting: an enum's values, a boolean's
 * true and false; none for a number or text (typed, then judged).
 */
export function settingChoices(
  s: Pick<SettingsView['settings'][number], 'type' | 'values'>,
): string[] | undefined {
  if (s.type === 'enum') return s.values ?? [];
  if (s.type === 'boolean') return ['true', 'false'];
  return undefined;
}
