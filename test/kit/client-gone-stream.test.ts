/**
 * A client that leaves in the middle of a streamed answer is logged as leaving during it: the kit's
 * "client gone" line said "before the answer" whatever had been sent, beside llm's own "the client
 * left after N tokens" (LLMQ, 25a5a518), so the two lines of one event disagreed.
 */
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createKitServer, createLog, type KitServer } from '../../modules/kit/server/index.js';
import { until } from '../helpers/until.js';
import { tempDir } from '../setup/temp-registry.js';

let kit: KitServer | undefined;
afterEach(async () => {
  await kit?.drain(500);
  kit = undefined;
});

async function streamingKit(logged: string[]) {
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  kit = createKitServer({
    log: createLog({ name: 'gone', write: (t) => logged.push(t) }),
    errorBody: (err) => ({ error: err.message }),
    routes: {
      '/stream': {
        method: 'GET',
        handle: () => ({
          stream: (async function* () {
            yield 'first part\n';
            await released; // the client leaves here
            yield 'second part\n';
          })(),
        }),
      },
    },
  });
  const socket = join(tempDir('kit-gone-'), 'api.sock');
  await kit.listen(socket);
  return { socket, release };
}

describe('kit: a client gone mid-stream', () => {
  it('is logged as leaving during the answer, not before it', async () => {
    const logged: string[] = [];
    const { socket, release } = await streamingKit(logged);
    const c = connect(socket);
    c.on('error', () => undefined);
    const firstPart = new Promise<void>((ok) =>
      c.on('data', (d: Buffer) => {
        if (d.toString('latin1').includes('first part')) ok();
      }),
    );
    c.write('GET /stream HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await firstPart;
    c.destroy();
    await until('the connection is seen closed', () => kit!.stats().connections === 0);
    release();
    await until('the client gone is logged', () => /client closed the connection/.test(logged.join('')));
    const text = logged.join('');
    expect(text).toMatch(/GET \/stream: client closed the connection during the answer/);
    expect(text).not.toMatch(/before the answer/);
  });
});
