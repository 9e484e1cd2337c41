import net from 'node:net';

/**
 * A relay from loopback TCP to a unix socket, as `ssh -L` or socat is for an admin reaching a
 * module or the dashboard from a browser: when one side's connection closes, the other's is closed
 * once what was relayed to it is written. pipe() alone only ends the browser's side: Chromium
 * still sending a body the server refused (an upload: the answer is sent with the connection
 * closed, the rest unread) reads the answer only once its send fails, and a relay that stopped
 * reading without closing left the XHR waiting for ever (test/web/browser-relay.test.ts).
 * `onPair` sees each pair as it is made (a test counting or cutting connections).
 */
export function relayTo(
  socketPath: string,
  onPair?: (client: net.Socket, upstream: net.Socket) => void,
): net.Server {
  return net.createServer((c) => {
    const s = net.connect(socketPath);
    onPair?.(c, s);
    c.pipe(s).pipe(c);
    c.on('error', () => s.destroy());
    s.on('error', () => c.destroy());
    s.on('close', () => c.end(() => c.destroy()));
    c.on('close', () => s.end(() => s.destroy()));
  });
}
