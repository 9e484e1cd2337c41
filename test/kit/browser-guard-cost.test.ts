import { isIP as realIsIP } from 'node:net';
import { beforeEach, describe, expect, it, vi } from 'vitest';

/**
 * The kit's browser guard (modules/kit/server/browser-guard.ts) judges the Host of every request
 * on every module's socket. Node's isIP runs an IPv4 and then a ~2 KB IPv6 regular expression: in a
 * profile of vectors' one-query path it was ~2 µs a request (the IPv6 expression and ownHost
 * together), for Hosts that no address could be (`localhost`, `vectors.socket:6333`). The names
 * programs send are judged first now, without it, and the last Host served is not judged again
 * (a client sends the same one every time); addresses and sites get the same verdict.
 */
const calls = vi.hoisted(() => ({ isIP: 0 }));
vi.mock('node:net', async (importOriginal) => {
  const net = await importOriginal<typeof import('node:net')>();
  return {
    ...net,
    isIP: (s: string) => {
      calls.isIP++;
      return net.isIP(s);
    },
  };
});
const { browserRefusal } = await import('../../modules/kit/server/browser-guard.js');

describe("the kit's browser guard: what a program's request costs", () => {
  beforeEach(() => {
    calls.isIP = 0;
  });

  it.each(['localhost', 'localhost:6333', 'vectors.socket:6333', 'rag.sock', 'x', 'box.local'])(
    'serves Host %s without asking isIP (no address has that shape)',
    (host) => {
      for (let i = 0; i < 100; i++) expect(browserRefusal({ host })).toBeUndefined();
      expect(calls.isIP).toBe(0);
    },
  );

  it("judges a client's Host once, not at each of its requests", () => {
    for (let i = 0; i < 100; i++) expect(browserRefusal({ host: '10.1.2.3:6333' })).toBeUndefined();
    expect(calls.isIP).toBe(1);
    // Another client's between two of them: each judged once more, both still served.
    expect(browserRefusal({ host: '[::1]:6333' })).toBeUndefined();
    expect(browserRefusal({ host: '10.1.2.3:6333' })).toBeUndefined();
    expect(calls.isIP).toBe(2);
  });

  it('refuses a site every time, whatever was served before it', () => {
    for (const host of ['localhost', 'evil.example', 'localhost', 'evil.example', 'evil.example'])
      expect(browserRefusal({ host })?.status).toBe(host === 'localhost' ? undefined : 403);
  });

  it.each(['127.0.0.1:8080', '10.1.2.3', '192.168.1.10:6333', '[::1]:11434', '[fe80::1]'])(
    'serves the address %s',
    (host) => {
      expect(browserRefusal({ host })).toBeUndefined();
    },
  );

  it.each(['evil.example:11434', '127.0.0.1.evil.example', 'vectors.socket.evil.com', '10.1.2.3.nip.io'])(
    'still refuses the site %s',
    (host) => {
      expect(realIsIP(host.replace(/:\d*$/, ''))).toBe(0);
      expect(browserRefusal({ host })?.status).toBe(403);
    },
  );
});
