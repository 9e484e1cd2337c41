import { request } from 'node:http';
import { connect } from 'node:net';

/** What came back for raw bytes: every final status in order (1xx left out), and whether it closed. */
export interface RawReply {
  statuses: number[];
  closed: boolean;
}

/**
 * Sends bytes as they are over the unix socket and reads responses until the first final one is
 * complete (by its content-length), the server closes, or `waitMs` passes with nothing more.
 */
export function sendRaw(socketPath: string, bytes: Buffer, waitMs: number, head = false): Promise<RawReply> {
  return new Promise((done) => {
    const sock = connect(socketPath);
    let buf = Buffer.alloc(0);
    const statuses: number[] = [];
    let finished = false;
    const finish = (closed: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      sock.destroy();
      done({ statuses, closed });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    const parse = () => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const headText = buf.subarray(0, end).toString('latin1');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(headText);
        if (!m) return finish(false);
        const status = Number(m[1]);
        const len = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headText)?.[1] ?? 0);
        const bodyLen = head || status < 200 || status === 204 || status === 304 ? 0 : len;
        if (buf.length < end + 4 + bodyLen) return;
        buf = buf.subarray(end + 4 + bodyLen);
        if (status < 200) continue;
        statuses.push(status);
        return finish(false);
      }
    };
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      parse();
    });
    sock.on('error', () => finish(true));
    sock.on('close', () => finish(true));
    sock.write(bytes, () => undefined);
  });
}

/** GET /health the way a client on the box does; resolves with the status. */
export function health(socketPath: string): Promise<number> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, path: '/health', method: 'GET', timeout: 5000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('/health did not answer within 5 s')));
    req.on('error', fail);
    req.end();
  });
}
