// Unix-socket servers for the engine wire's tests (test/services/engine-wire.test.ts,
// pipe-socket.test.ts): each reads a request (head, then a Content-Length body) and writes an answer
// by hand, cut in `pieces` a millisecond apart, then closes; so that each way an answer can be
// framed (length, chunks, close) and each broken one is met. `answer` null: never answers.
import net from 'node:net';

export type Answer = string | null | ((request: string) => string);

export function answerServers() {
  const servers: net.Server[] = [];
  const peers: net.Socket[] = [];
  /** A server at `sock`; `answer` as latin1 text (each char a byte). */
  async function serve(sock: string, answer: Answer, pieces = 1) {
    const requests: string[] = [];
    let connections = 0;
    const server = net.createServer((c) => {
      connections++;
      peers.push(c);
      let got = '';
      c.on('data', (d) => {
        got += d.toString('latin1');
        const end = got.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(got.slice(0, end))?.[1] ?? 0);
        if (got.length < end + 4 + length) return;
        requests.push(got);
        const text = typeof answer === 'function' ? answer(got) : answer;
        got = '';
        if (text === null) return;
        const bytes = Buffer.from(text, 'latin1');
        const step = Math.max(1, Math.ceil(bytes.length / pieces));
        let at = 0;
        const next = () => {
          if (at >= bytes.length) return c.end();
          c.write(bytes.subarray(at, at + step));
          at += step;
          setTimeout(next, 1);
        };
        next();
      });
      c.on('error', () => {});
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(sock, r));
    return { sock, requests, connections: () => connections };
  }
  /** Closes every server, and the connections still open (a spare would hold a server's close). */
  async function close() {
    for (const c of peers.splice(0)) c.destroy();
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  }
  return { serve, close };
}
