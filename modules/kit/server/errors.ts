/**
 * The errors a module server throws: an HttpError becomes its status code and the module's error
 * body; ClientGoneError means the client closed the connection before its answer (logged as such,
 * never as an internal error). Plain fields, not parameter properties: Node's type stripping loads
 * these files directly in tests and workers.
 */
export class HttpError extends Error {
  readonly status: number;
  readonly param?: string;
  /** Extra response headers, e.g. Retry-After on 503. */
  readonly headers: Record<string, string>;
  constructor(status: number, message: string, param?: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.param = param;
    this.headers = headers;
  }
}

export class ClientGoneError extends Error {
  constructor() {
    super('client closed the connection before the answer');
  }
}

/** 503 with Retry-After: the service is busy, not broken; clients should come back shortly. */
export const busy = (message: string, retryAfterSeconds = 1) =>
  new HttpError(503, message, undefined, { 'retry-after': String(retryAfterSeconds) });
