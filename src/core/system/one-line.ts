/**
 * A module's or the engine's words on one line. Front ends keep an error message's newlines
 * (escaping the rest: src/present/escape.ts), so a line break in text quoted from outside printed
 * a line of its own under `error:`, a forged `hint:` among them. Each break is shown as escape.ts
 * shows it (`\x0a`). No `\p{...}` class: this is on `service start`'s way (issue 20).
 */
export const oneLine = (text: string): string =>
  text.replace(/[\n\r\u0085\u2028\u2029]/g, (c) => {
    const cp = c.charCodeAt(0);
    return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
