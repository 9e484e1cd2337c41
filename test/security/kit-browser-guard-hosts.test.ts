import { describe, expect, it } from 'vitest';
import { browserRefusal } from '../../modules/kit/server/browser-guard.js';

/**
 * The kit's browser guard (e5e130f5) refuses a Host that names a site, against DNS rebinding through
 * a port an admin forwarded to a module's socket. But the clients on the socket itself send the Host
 * of whatever URL they were given, and the vectors README gives Qdrant's clients
 * `http://vectors.socket:6333` (LangChain, LlamaIndex): every request of theirs became a 403.
 * Names under `.socket` and `.sock` (no public suffix: no site can be reached by one, so no page can
 * be rebound to one) are this machine's, as `.local` and `.internal` are.
 */
describe("the kit's browser guard: hosts", () => {
  it.each([
    'vectors.socket:6333',
    'vectors.socket',
    'rag.sock',
    'localhost:11434',
    '127.0.0.1:8080',
    'x',
    'box.local',
  ])('serves Host %s (a program on the socket, or this machine)', (host) => {
    expect(browserRefusal({ host })).toBeUndefined();
  });

  it.each(['evil.example:11434', 'rebind.attacker.example', 'socket.example.com', 'vectors.socket.evil.com'])(
    'refuses Host %s (a site: a page rebound to 127.0.0.1)',
    (host) => {
      expect(browserRefusal({ host })?.status).toBe(403);
    },
  );
});
