import { describe, expect, it, vi } from 'vitest';
import type { WatchEvent } from '../../src/core/services/watch.js';
import { runCliHere } from '../helpers/cli-here.js';

/**
 * `blueprint service watch` prints one line per event, and an event's `error` message is often the
 * engine's own words: engineErrorFrom (core/services/engine.ts) quotes Podman's message, which
 * quotes the OCI runtime, which names the image's entrypoint (`crun: executable file `X` not
 * found`): text a signed but hostile module chose. Every other command prints through the
 * escaping context; the watcher wrote its lines to stdout as they were: ESC, BEL and a carriage
 * return reached the admin's terminal (a window title set, a line overwritten), and with --json
 * the C1 CSI (U+009B) and bidi overrides, which JSON.stringify leaves as they are.
 */
const HOSTILE =
  'POST /containers/blueprint-x/start: crun: executable file `/bin/\x1b]0;owned\x07\r\x1b[2Kok x healthy\u009b2J\u202e` not found';

const events = vi.hoisted(() => ({ list: [] as WatchEvent[] }));
vi.mock('../../src/cli/box.js', () => ({
  cliBox: () => ({
    services: {
      registered: async () => ['x'],
      watch: async (opts: { onEvent: (e: WatchEvent) => void }) => {
        for (const e of events.list) opts.onEvent(e);
      },
    },
  }),
}));

const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe("the services watcher's lines", () => {
  it("show an engine error's control characters as text", async () => {
    events.list = [{ kind: 'error', name: 'x', message: HOSTILE }];
    const r = await runCliHere(['service', 'watch']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('x: POST /containers/blueprint-x/start: crun: executable file');
    expect(RAW.test(r.out), JSON.stringify(r.out)).toBe(false);
    expect(r.out).toContain('\\x1b]0;owned\\x07\\x0d\\x1b[2Kok x healthy');
    // One event, one line.
    expect(r.out.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('with --json: one JSON object a line, C1 and bidi controls as \\u escapes', async () => {
    events.list = [
      { kind: 'error', name: 'x', message: HOSTILE },
      { kind: 'restarted', name: 'x', restarts: 1 },
    ];
    const r = await runCliHere(['--json', 'service', 'watch']);
    expect(r.code).toBe(0);
    expect(RAW.test(r.out), JSON.stringify(r.out)).toBe(false);
    const lines = r.out.split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({ kind: 'error', name: 'x', message: HOSTILE });
    expect(JSON.parse(lines[1]!)).toEqual({ kind: 'restarted', name: 'x', restarts: 1 });
  });
});
