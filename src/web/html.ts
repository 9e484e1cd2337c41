import { escapeText } from '../present/escape.js';

/**
 * HTML built from templates whose every interpolation is escaped unless it is already `Html`.
 * Package summaries, key user IDs, log lines and error messages come from repositories, keys and
 * containers: none of them may become markup. Control characters are first made visible the way
 * the terminal front ends show them (`\x1b`), so the browser shows the same text the CLI does.
 */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return escapeText(text).replace(/[&<>"'`]/g, (c) => ENTITIES[c]!);
}

export type Part = Html | string | number | boolean | null | undefined | Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.value;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/** `html\`<p>${untrusted}</p>\`` escapes `untrusted`; nested `html` values and arrays of them stay. */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < parts.length; i++) out += render(parts[i]!) + strings[i + 1]!;
  return new Html(out);
}

/** Markup that is known to be safe (a constant of this program). Never pass outside text. */
export const trusted = (markup: string): Html => new Html(markup);
