/**
 * The watcher (`blueprint service watch`) meets a damaged restart record (restarts.json not JSON,
 * or not a record): it must neither count nor restart the service on a guess (taken as empty, an
 * admin's stop would be lost and the service started again), and it says which file and what to
 * do, as it does for a damaged registration: the message with the error's hint. A stand-in engine
 * reports the service's container exited; the watcher asks nothing else of it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { superviseOnce } from '../../src/core/services/watch.js';
import { consumerSpec, register, tokenRoot } from '../helpers/client-token-box.js';

const exited = {
  Id: 'c'.repeat(64),
  State: {
    Running: false,
    Status: 'exited',
    ExitCode: 1,
    Pid: 0,
    StartedAt: '2026-12-03T09:00:00Z',
    FinishedAt: '2026-12-03T09:00:05Z',
  },
  Config: { Labels: {} },
  HostConfig: {},
};

describe('the watcher and a damaged restart record', () => {
  it.each(['{"crashes":2,"rest', '[]'])(
    '%s: said with the file and the fix, the service left alone',
    async (text) => {
      const root = tokenRoot('bp-watch-damaged-');
      await register(root, 'hello', consumerSpec('/run/hello'));
      const record = path.join(root, 'var/lib/blueprint/services/hello/restarts.json');
      mkdirSync(path.dirname(record), { recursive: true });
      writeFileSync(record, text);
      const asked: string[] = [];
      const engine = {
        libpod: async (method: string, url: string) => {
          asked.push(`${method} ${url}`);
          return method === 'GET' && url.endsWith('/json') ? exited : undefined;
        },
      };
      const events = await superviseOnce({ engine: engine as never, root }, 0);
      expect(events).toEqual([
        {
          kind: 'error',
          name: 'hello',
          message: expect.stringContaining(`${record} is damaged`),
        },
      ]);
      expect((events[0] as { message: string }).message).toMatch(/blueprint service start hello/);
      expect(asked.filter((a) => !a.startsWith('GET '))).toEqual([]);
    },
  );
});
