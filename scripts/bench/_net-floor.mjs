/**
 * The node:net "floor" that the CPU benches set a module's server beside (./_kit-cpu.mjs,
 * ./_socket-layers.mjs): the least HTTP/1.1 a server can speak over a socket, with nothing else, so
 * that what a real server costs above it is its own. Returned as source, for the generated server
 * files those benches bundle and run in a process of their own.
 */

/**
 * Source of a `createServer(...)` expression (node:net's createServer must be in scope) that
 * splits each connection's bytes into requests by their head's end and content-length, and runs
 * `respond`, source with `head` (the request head as latin1 text), `body` (a Buffer) and `sock` in
 * scope, for each: it writes the whole response itself. Chain `.listen(...)` on it.
 */
export const netFloorServerSource = (respond) => `createServer((sock) => {
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      const end = buf.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const head = buf.toString('latin1', 0, end);
      const n = Number(/\\r\\ncontent-length:\\s*(\\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length < end + 4 + n) return;
      const body = buf.subarray(end + 4, end + 4 + n);
      buf = buf.subarray(end + 4 + n);
      ${respond}
    }
  });
})`;
