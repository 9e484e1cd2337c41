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

/** The module's disk is full (or its quota spent): a write failed for want of space, not a bug. */
export const isDiskFull = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
};

/**
 * 507 Insufficient Storage for a write the disk could not take, with what to do: said as such, not
 * as an internal error. `then`: what to do once space is freed (try again, restart the service).
 */
export const diskFull = (err: unknown, then = 'then send the request again') =>
  new HttpError(
    507,
    `No space left on the module's data disk (${(err as Error).message}): free space on the box's data partition (\`blueprint status\` shows it), ${then}`,
  );
