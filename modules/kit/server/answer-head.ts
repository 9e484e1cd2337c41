/**
 * How the kit's server spells the head of an answer: the status line's reason phrases, the Date
 * header (formatted once a second), and the header lines of a module's answer, checked so that no
 * module text can forge one. Used by ./server.ts for every answer, and by ./wire.ts for the status
 * a connection answers itself before it closes (400, 408, 431…).
 */
import { HttpError } from './errors.js';

const REASONS: Record<number, string> = {
  100: 'Continue',
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  206: 'Partial Content',
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  411: 'Length Required',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};
export const reason = (status: number) => REASONS[status] ?? 'Unknown';

let dateSecond = 0;
let dateText = '';
/** The Date header, formatted once a second (as node:http does). */
export function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

// Answer headers a module gives: a name is a token, a value printable ASCII (no CR/LF: no injection).
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;

/** The header lines of an answer (without the status line), checked so no module text can forge one. */
export function headerLines(
  headers: Record<string, string> | undefined,
  contentType: string | undefined,
  close: boolean,
  keepAliveS: number,
): string {
  let text = '';
  let type = contentType;
  let connection = close ? 'close' : 'keep-alive';
  if (headers)
    for (const name in headers) {
      const value = String(headers[name]);
      if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value))
        throw new HttpError(500, `internal error: invalid answer header ${JSON.stringify(name)}`);
      const lower = name.toLowerCase();
      if (lower === 'content-type') type = value;
      else if (lower === 'connection') {
        if (value.toLowerCase() === 'close') connection = 'close';
      } else if (lower !== 'content-length' && lower !== 'transfer-encoding' && lower !== 'date')
        text += `${name}: ${value}\r\n`;
    }
  if (type !== undefined) text += `content-type: ${type}\r\n`;
  text += `date: ${httpDate()}\r\nconnection: ${connection}\r\n`;
  if (connection === 'keep-alive') text += `keep-alive: timeout=${keepAliveS}\r\n`;
  return text;
}
