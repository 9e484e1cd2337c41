/**
 * Just enough of Podman's libpod API for the GPU pass-through test: create, start, wait, logs,
 * remove. The services module has the full client; this one keeps the GPU test independent of it.
 */
import http from 'node:http';

const SOCKET = process.env.CONTAINER_HOST?.startsWith('unix://')
  ? process.env.CONTAINER_HOST.slice('unix://'.length)
  : '/run/podman/podman.sock';

export function libpod(
  method: string,
  apiPath: string,
  body?: unknown,
): Promise<{ status: number; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: SOCKET,
        method,
        path: `/v4.0.0/libpod${apiPath}`,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, data: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function ok(method: string, apiPath: string, body?: unknown): Promise<Buffer> {
  const res = await libpod(method, apiPath, body);
  if (res.status >= 300) throw new Error(`${method} ${apiPath}: ${res.status} ${res.data.toString()}`);
  return res.data;
}

/** Log frames are multiplexed: 8-byte header (stream, 0, 0, 0, length big-endian), then the payload. */
function demux(buf: Buffer): string {
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString();
    i += 8 + len;
  }
  return out;
}

/** Creates a container from a libpod spec, runs it to the end and returns its output. */
export async function runToEnd(spec: Record<string, unknown>): Promise<{ exitCode: number; output: string }> {
  const { Id } = JSON.parse((await ok('POST', '/containers/create', spec)).toString()) as { Id: string };
  try {
    await ok('POST', `/containers/${Id}/start`);
    const exitCode = Number((await ok('POST', `/containers/${Id}/wait?condition=exited`)).toString());
    const output = demux(await ok('GET', `/containers/${Id}/logs?stdout=true&stderr=true`));
    return { exitCode, output };
  } finally {
    await libpod('DELETE', `/containers/${Id}?force=true`);
  }
}
