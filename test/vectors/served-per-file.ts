import { Agent, type AgentOptions } from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { bundle, newDataDir, type Served, serve } from './served.js';

/**
 * The vectors service for a whole test file: started before its tests (the bundle, a new data
 * folder), killed after them; its socket, data folder and pid once started; and the node:http
 * `agent` (made with `options`) the tests call it through, destroyed after them.
 */
export function vectorsPerFile(options: AgentOptions) {
  const agent = new Agent(options);
  let s: Served | undefined;
  beforeAll(async () => {
    s = await serve(await bundle(), newDataDir());
  }, 120_000);
  afterAll(async () => {
    agent.destroy();
    await s?.kill();
  });
  const started = (): Served => {
    if (!s) throw new Error('the vectors service is not started yet');
    return s;
  };
  return {
    agent,
    get socket() {
      return started().socket;
    },
    get dataDir() {
      return started().dataDir;
    },
    get pid() {
      return started().pid;
    },
  };
}
