import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { openBox } from '../../src/app/index.js';
import type { Engine } from '../../src/core/services/engine.js';
import { execInService, PROBE_LIMITS } from '../../src/core/services/inspect.js';
import { buildHello, fileBox, uniqueName } from '../services/helpers.js';

/**
 * `service inspect` (and the dashboard's page of a service, at every view, in the long-running
 * root process) runs the module's `probe` command inside its container and waited for the output
 * without a bound: a probe that never ends held the command (and each dashboard request) for good,
 * and one that prints without end grew the root process's memory until the box ran out. The
 * manifest chooses the probe, and the module's files decide what it does. Now the probe has a time
 * and a size bound, and its failure says so; the rest of the inspection is unchanged.
 */

/** What `p` settled as, or 'still waiting' after `ms`. */
const settled = <T>(p: Promise<T>, ms: number): Promise<T | Error | 'still waiting'> =>
  Promise.race([
    p.catch((err: Error) => err),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms).unref()),
  ]);

describe('a probe that never ends (real engine)', () => {
  const name = uniqueName('bpt-probe');
  const box = fileBox(buildHello, name, {
    overrides: { probe: ['/hello', 'stubborn'] },
    start: true,
    timeout: 120_000,
  });

  it('is cut off after the time bound: inspect fails with probe-timeout and a hint', async () => {
    const box2 = openBox(box.root, {});
    const r = await settled(box2.services.inspect(name), PROBE_LIMITS.timeoutMs + 10_000);
    expect(r).toMatchObject({ code: 'probe-timeout', hint: expect.stringMatching(/\S/) });
  }, 40_000);
});

describe('a probe that prints without end', () => {
  /** An engine whose exec answers with `total` bytes of output, as fast as they are read. */
  function flooding(total: number): { engine: Engine; read: () => number } {
    let read = 0;
    const stream = new Readable({
      read() {
        if (read >= total) return void this.push(null);
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        read += chunk.length;
        this.push(chunk);
      },
    });
    const docker = {
      getContainer: () => ({
        exec: async () => ({
          start: async () => stream,
          inspect: async () => ({ Running: false, ExitCode: 0 }),
        }),
      }),
      modem: { demuxStream: (s: Readable, out: NodeJS.WritableStream) => s.pipe(out) },
    };
    const engine = { call: (_what: string, fn: () => Promise<unknown>) => fn(), docker: async () => docker };
    return { engine: engine as unknown as Engine, read: () => read };
  }

  it('is cut off at the size bound, the stream no longer read', async () => {
    const { engine, read } = flooding(1024 ** 3);
    const r = await settled(execInService(engine, 'x', ['/probe'], PROBE_LIMITS), 20_000);
    expect(r).toMatchObject({ code: 'probe-too-large' });
    expect(read()).toBeLessThan(PROBE_LIMITS.maxBytes + 1024 ** 2);
  });

  it('output within the bound is returned whole', async () => {
    const { engine } = flooding(256 * 1024);
    const r = await execInService(engine, 'x', ['/probe'], PROBE_LIMITS);
    expect(r.stdout.length).toBe(256 * 1024);
  });
});
