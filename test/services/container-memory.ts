/**
 * A running service's memory limit as the memory-limit tests handle it (status-limit-changed-outside,
 * inspect-limit-changed-outside, limit-removed-status, admission-running-limit): the memory a box has,
 * the limit the engine recorded for a container, the limit changed outside blueprint, and an engine
 * that records that change as later Podman versions do.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { openBox } from '../../src/app/index.js';
import { chooseSocket } from '../../src/core/services/engine.js';
import { type EngineProxy, engineProxy } from './engine-proxy.js';
import { podman, type TestBox } from './helpers.js';

/** Hello's service overrides holding it to `memory` ('64m'), half a CPU and 32 processes. */
export const limitedTo = (memory: string) => ({ resources: { memory, cpus: 0.5, pids: 32 } });

/** Hello installed on `box` as `name`, held to `memory` (limitedTo), and started: the box's services. */
export async function startLimited(
  box: TestBox,
  name: string,
  memory: string,
  overrides: Record<string, unknown> = {},
): Promise<ReturnType<typeof openBox>['services']> {
  await box.install(name, { ...limitedTo(memory), ...overrides });
  const services = openBox(box.root).services;
  await services.start(name);
  return services;
}

/** The box at `root` has `mib` MiB available: the ROOT/proc/meminfo memory admission reads. */
export function boxAvailableMiB(root: string, mib: number): void {
  mkdirSync(path.join(root, 'proc'), { recursive: true });
  writeFileSync(
    path.join(root, 'proc/meminfo'),
    `MemTotal: 8388608 kB\nMemFree: 1 kB\nMemAvailable: ${mib * 1024} kB\n`,
  );
}

/** The memory limit the engine recorded for service `name`'s container (HostConfig.Memory), in bytes. */
export async function engineRecordedMemory(name: string): Promise<number> {
  return Number(await podman('inspect', '--format', '{{.HostConfig.Memory}}', `blueprint-${name}`));
}

/** `podman update` of service `name`'s running container to `limit` ('200m', or the kernel's "no limit"). */
export async function updateMemoryOutside(name: string, limit: string): Promise<void> {
  await podman('update', '--memory', limit, '--memory-swap', limit, `blueprint-${name}`);
}

/**
 * A proxy in front of the real engine that answers the inspect of service `name`'s container with
 * `bytes` as its recorded limit (HostConfig.Memory and MemorySwap), as a Podman that records
 * `podman update` does (Podman 4.3.1, this machine's, changes only the cgroup).
 */
export async function engineRecordingUpdate(name: string, bytes: number): Promise<EngineProxy> {
  const engineSocket = chooseSocket(process.env).path;
  return engineProxy((req, res) => {
    if (req.method !== 'GET' || !req.url?.includes(`/containers/blueprint-${name}/json`)) return false;
    http
      .get({ socketPath: engineSocket, path: req.url }, (up) => {
        const parts: Buffer[] = [];
        up.on('data', (b: Buffer) => parts.push(b));
        up.on('end', () => {
          const info = JSON.parse(Buffer.concat(parts).toString());
          info.HostConfig.Memory = bytes;
          info.HostConfig.MemorySwap = bytes;
          res.writeHead(up.statusCode ?? 200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(info));
        });
      })
      .on('error', () => res.destroy());
    return true;
  });
}
