import http from 'node:http';
import type { DashboardOps, ServiceView } from '../../src/web/ops.js';

/** A box in memory: what the pages show, and a record of every change asked of it. */
export function fakeOps(): DashboardOps & { calls: string[]; hostile: string } {
  const hostile = '<img src=x onerror=alert(1)>\x1b]0;owned\x07"\'';
  const calls: string[] = [];
  const svc: ServiceView = { name: 'hello', version: '1.0.0', state: 'exited', network: 'loopback-socket' };
  return {
    calls,
    hostile,
    overview: async () => ({
      host: {
        hostname: 'box',
        kernel: '6.1',
        uptime: '1h',
        cpu: '2 cores',
        memory: '1 GiB of 2 GiB',
        disk: '1 GiB free',
      },
      setupDone: true,
      encryption: 'data partition: not encrypted',
      system: 'version 1.4.2, slot A booted, B boots next',
      egress: 'default deny; 1 allowed out: deb.debian.org:80',
      gpus: { available: true, value: [] },
      services: { available: true, value: [svc] },
      updates: { available: false, reason: 'no repository configured' },
      exposure: { firewall: 'on', listeners: [] },
    }),
    services: async () => [svc],
    async service(name) {
      if (name !== 'hello') throw Object.assign(new Error(`no service ${name}`), { exitCode: 3 });
      return { ...svc, name, inspection: ['no capabilities', hostile] };
    },
    async serviceAction(action, name) {
      calls.push(`${action} ${name}`);
      svc.state = action === 'stop' ? 'exited' : 'running';
      return [action === 'stop' ? `${name} stopped` : `${name} 1.0.0 ${action}ed`];
    },
    async followLogs(_name, onLine, signal) {
      onLine('first line');
      onLine(`evil\n\nevent: end\ndata: ${hostile}`);
      await new Promise((r) => signal.addEventListener('abort', r));
      calls.push('logs closed');
    },
    packages: async () => [
      { name: 'greet', version: '1.0.0', installed: false, summary: hostile, origin: 'main' },
    ],
    signerOf: async () => ({
      version: '1.0.0',
      origin: 'main',
      fingerprint: 'ABCD',
      signer: hostile,
      plan: 'plan-1',
    }),
    async refresh() {
      calls.push('update');
      return [];
    },
    upgradePlan: async () => ({
      planRows: [['greet', '1.0.0 -> 2.0.0', 'main', '1 B']],
      changes: [],
      held: [],
      plan: 'plan-2',
    }),
    async packageAction(action, name, progress) {
      calls.push(`${action} ${name}`);
      progress(`fetch ${name}`);
    },
    gpus: async () => ({ available: true, value: [] }),
    keys: async () => [{ fingerprint: 'ABCD', name: hostile }],
    repos: async () => [{ name: 'main', url: 'https://repo.invalid/', keys: ['ABCD'] }],
    exposure: async () => ({ firewall: 'on', listeners: [] }),
    outbound: async () => ({ summary: [], rows: [] }),
  };
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * The answer to `req`, its body read whole as text. `refusedEarly`: an upload the server may answer
 * and close before the body was all sent (EPIPE on the request is no error then).
 */
export function answerOf(req: http.ClientRequest, refusedEarly = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', (err) =>
      refusedEarly && (err as NodeJS.ErrnoException).code === 'EPIPE' ? undefined : reject(err),
    );
  });
}

/** One HTTP request over the dashboard's unix socket. */
export function request(
  socketPath: string,
  path: string,
  o: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const req = http.request({
    socketPath,
    path,
    method: o.method ?? 'GET',
    headers: { host: 'localhost:8080', ...o.headers },
  });
  const answer = answerOf(req);
  req.end(o.body);
  return answer;
}
