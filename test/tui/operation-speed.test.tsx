// The console waits without V8's optimising compilers (src/tui/runtime.ts, issue 20) and has them
// back while an operation runs. This file's process is made lean as the console's is; V8's flags
// are process-wide, which is why it is a file of its own.
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { leanHeap } from '../../src/tui/runtime.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('tui-speed');

const v8 = process.getBuiltinModule('node:v8');
v8.setFlagsFromString('--allow-natives-syntax');
const status = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
const arr = Array.from({ length: 1000 }, (_, i) => i);
let made = 0;
/** Whether a new hot function gets optimised now (status bit 16); new each time, as V8 keeps code. */
function optimised(): boolean {
  const hot = new Function(
    'a',
    `let s = ${made++}; for (let i = 0; i < a.length; i++) s += a[i] * 2; return s;`,
  ) as (a: number[]) => number;
  for (let i = 0; i < 20_000; i++) hot(arr);
  return (status(hot) & 16) !== 0;
}

it('optimises while a service action runs, and not before or after it', async () => {
  leanHeap();
  const seen: Record<string, boolean> = { before: optimised() };
  const sources = sourcesFor(box.root, {
    services: async () => ({
      available: true,
      value: [{ name: 'svc', state: 'stopped', sandboxed: true, detail: '1.0.0' }],
    }),
    serviceAction: async () => {
      await sleep(50); // the App turns them on when it renders busy
      seen.during = optimised();
      return ['svc 1.0.0 started'];
    },
  });
  const app = renderApp(sources);
  await type(app, '3');
  await frameWith(app, 'svc');
  await type(app, 's');
  await frameWith(app, 'svc 1.0.0 started');
  await sleep(50);
  seen.after = optimised();
  app.unmount();
  expect(seen).toEqual({ before: false, during: true, after: false });
});
