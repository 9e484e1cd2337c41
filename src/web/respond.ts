import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBlock, escapeText } from '../present/escape.js';
import { shownHint } from '../present/root-in-hints.js';
import { SECURITY_HEADERS } from './security.js';

/** The dashboard's answers: every one carries the security headers and is never cached. */
export function send(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Cache-Control': 'no-store',
    'Content-Type': 'text/html; charset=utf-8',
    ...headers,
  });
  res.end(body);
}

export const redirect = (res: ServerResponse, to: string, headers: Record<string, string> = {}): void =>
  send(res, 303, '', { Location: to, ...headers });

export const refuse = (res: ServerResponse, status: number, text: string): void =>
  send(res, status, `${text}\n`, { 'Content-Type': 'text/plain; charset=utf-8' });

/**
 * An error's message, then `hint: ` and the hint (typed errors of src/core/errors.ts) on a line of
 * its own, each a block whose further lines are indented (errorBlock), as the CLI and the console
 * print them. A page's notice shows it after 'Error: ' with its line breaks kept (layout.ts).
 */
export const errorText = (err: unknown): string => {
  const e = err as Error & { hint?: string };
  const hint = typeof e.hint === 'string' && e.hint ? `\nhint: ${errorBlock(e.hint)}` : '';
  // After --root (the demo's box) its commands name that root, as the CLI's do.
  return shownHint(`${errorBlock(String(e?.message ?? err))}${hint}`);
};

/**
 * An error as a log shows it (a job's progress, a service's live log): `error: ` and errorText.
 * A message's line that starts at the margin would read as a line of the log's own (`error: ...`),
 * and the page's <pre> keeps the indent.
 */
export const errorLines = (err: unknown): string => `error: ${errorText(err)}`;

/** A text/event-stream answer; `lines` are sent one `data:` line each (no newlines inside). */
export function eventStream(res: ServerResponse) {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Accel-Buffering': 'no',
  });
  res.write(': stream\n\n');
  const ac = new AbortController();
  // The response's close: the browser went away (the request's own close comes earlier).
  res.on('close', () => ac.abort());
  const event = (name: string, data: string) => {
    if (res.writableEnded) return;
    for (const l of escapeText(data).split(/\r?\n|\r/))
      res.write(`${name === 'message' ? '' : `event: ${name}\n`}data: ${l}\n\n`);
  };
  return {
    event,
    signal: ac.signal,
    end: (): void => {
      res.end();
    },
  };
}

const MAX_BODY = 16 * 1024;

/** A urlencoded form of at most `max` bytes (16 KiB): undefined for another type, null for a bigger body. */
export async function readForm(
  req: IncomingMessage,
  max = MAX_BODY,
): Promise<URLSearchParams | undefined | null> {
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > max) return null;
    chunks.push(c as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
