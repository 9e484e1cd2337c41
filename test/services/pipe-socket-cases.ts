// The exchanges of test/services/pipe-socket.test.ts, run the same in the test (node:net) and in its
// child (Node's pipe binding): each case's answers, or the error's code and message.
import { createHash } from 'node:crypto';
import { exchangeOnce, openWire } from '../../src/core/services/engine-wire.js';

export interface Case {
  /** openWire's socket, asked `times` requests one after the other (the spare takes the next). */
  wire?: string;
  /** exchangeOnce's socket, with a deadline when `timeoutMs`. */
  once?: string;
  method: string;
  path: string;
  body?: string;
  times?: number;
  timeoutMs?: number;
}

export interface Outcome {
  status?: number;
  body?: string;
  bodyLength?: number;
  bodySha256?: string;
  sent?: boolean;
  code?: string;
  message?: string;
}

export async function run(cases: Case[]): Promise<{ results: Outcome[][]; loadedNet?: boolean }> {
  const results: Outcome[][] = [];
  for (const c of cases) {
    const outcomes: Outcome[] = [];
    const wire = c.wire ? openWire(c.wire) : undefined;
    for (let i = 0; i < (c.times ?? 1); i++) {
      let sent = false;
      try {
        const a = wire
          ? await wire.exchange(c.method, c.path, c.body, () => {
              sent = true;
            })
          : await exchangeOnce(c.once!, c.method, c.path, {
              maxHeadBytes: 8192,
              maxAnswerBytes: 65536,
              interim: false,
              host: 'localhost',
              peer: 'the service',
              timeoutMs: c.timeoutMs,
            });
        outcomes.push({
          status: a.status,
          body: a.body.length > 1000 ? undefined : a.body,
          bodyLength: a.body.length,
          bodySha256: createHash('sha256').update(a.body).digest('hex'),
          sent: wire ? sent : undefined,
        });
      } catch (err) {
        const e = err as Error & { code?: string };
        outcomes.push({ code: e.code, message: e.message });
      }
    }
    results.push(outcomes);
  }
  return { results };
}
