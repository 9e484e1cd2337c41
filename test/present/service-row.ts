import type { ServiceStatus } from '../../src/app/index.js';

/** A running, healthy service's status row, with `over` changed: what src/present's tables take. */
export const serviceRow = (name: string, over: Partial<ServiceStatus> = {}): ServiceStatus => ({
  name,
  version: '0.1.0',
  containerVersion: '0.1.0',
  state: 'running',
  startedAt: null,
  uptimeSeconds: 60,
  restarts: 0,
  restartAt: null,
  gaveUp: false,
  restartCause: null,
  exitCode: null,
  oomKilled: false,
  health: 'healthy',
  memoryBytes: null,
  cpuPercent: null,
  pids: null,
  rating: { score: 8, max: 8, basis: 'container', items: [] },
  info: null,
  uses: [],
  usedBy: [],
  ...over,
});
