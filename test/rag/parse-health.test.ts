/** rag's /health and a parse worker's restart, from the pool's restartingSinceMs (parse-health.ts). */
import { expect, it } from 'vitest';
import { poolHealth } from '../../modules/rag/server/parse-health.js';

it('a restart counts against health only once it has lasted the grace; the pool’s own answer otherwise', () => {
  let t = 1_000;
  let since: number | undefined;
  let healthy = true;
  const h = poolHealth({ healthy: () => healthy, restartingSinceMs: () => since }, 30_000, () => t);
  expect(h()).toBe(true);
  healthy = false;
  since = t;
  expect(h()).toBe(true);
  t += 29_999;
  expect(h()).toBe(true);
  t += 1;
  expect(h()).toBe(false);
  healthy = true;
  since = undefined;
  expect(h()).toBe(true);
  // Unhealthy with no restart in progress (closing): as the pool says.
  healthy = false;
  expect(h()).toBe(false);
});
