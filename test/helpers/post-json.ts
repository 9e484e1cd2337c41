import { type IncomingHttpHeaders, request } from 'node:http';

/**
 * A raw JSON POST to `path` over the unix socket `socketPath`, for what a service's clients do not
 * show (status codes, headers, error bodies): its status, headers and text, and `body`, the text
 * parsed as JSON when read. `token`, when given, is sent as `Authorization: Bearer TOKEN`.
 */
// biome-ignore lint/suspicious/noExplicitAny: the callers check bodies field by field
export function postJson<T = any>(
  socketPath: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string; readonly body: T }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((done, fail) => {
    const req = request(
      {
        socketPath,
        method: 'POST',
        path,
        headers: {
          'content-type': 'application/json',
          'content-length': data.length,
          ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          done({
            status: res.statusCode!,
            headers: res.headers,
            text,
            get body() {
              return JSON.parse(text);
            },
          }),
        );
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}
