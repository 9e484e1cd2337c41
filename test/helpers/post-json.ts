import { type IncomingHttpHeaders, request } from 'node:http';

/**
 * A raw JSON POST to `path` over the unix socket `socketPath`, for what a service's clients do not
 * show (status codes, headers, error bodies): its status, headers and the body parsed as JSON.
 * `token`, when given, is sent as `Authorization: Bearer TOKEN`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the callers check bodies field by field
export function postJson<T = any>(
  socketPath: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: T }> {
  return new Promise((done, fail) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c;
        });
        res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) }));
      },
    );
    req.on('error', fail);
    req.end(JSON.stringify(body));
  });
}
