import { beforeAll, describe, expect, it } from 'vitest';
import { inspectContainer } from '../../src/core/services/lifecycle.js';
import { run } from '../helpers/pkg.js';
import { cli, emptyFileBox, uniqueName } from './helpers.js';

// `blueprint service start|stop|restart NAME...` (as `systemctl stop a b`, `docker stop a b`), with
// the real engine: a (used by c), b on its own. Stop takes the named ones consumers first, and a
// refusal (a name not installed, a running service outside the names still using one) comes before
// anything is stopped.

const { box } = emptyFileBox();
const a = uniqueName('bpt-ma'); // used by c
const b = uniqueName('bpt-mb');
const c = uniqueName('bpt-mc');

const running = async (name: string) =>
  (await inspectContainer(box.engine, name, box.root))?.State.Running === true;
const text = (args: string[]) => run(['--root', box.root, ...args], { env: { PATH: process.env.PATH } });

beforeAll(async () => {
  await box.install(a);
  await box.install(b);
  await box.install(c, {}, { manifest: { uses: [`${a}>=1.0.0,<2.0.0`] } });
}, 300_000);

describe('service start/stop/restart with several names (real engine)', () => {
  it('start NAME NAME: each started and healthy, one JSON answer each in order', async () => {
    const r = await cli(box.root, ['service', 'start', c, b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject([
      { name: c, healthy: true },
      { name: b, healthy: true },
    ]);
    expect(await running(a)).toBe(true); // what c uses came first
  }, 120_000);

  it('a name not installed is refused before anything is stopped (exit 3)', async () => {
    const r = await cli(box.root, ['service', 'stop', b, 'bpt-no-such-module']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('No installed module named bpt-no-such-module has a service');
    expect(await running(b)).toBe(true);
  }, 60_000);

  it('a running user outside the names refuses the stop before any stops (exit 5)', async () => {
    const r = await cli(box.root, ['service', 'stop', b, a]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${a} is in use by ${c}`);
    // The hint's two ways out are commands that work pasted (it said 'Stop c first (or name it
    // too)', no command): the user named too, or --force.
    expect(r.stderr).toContain(`\`blueprint --root ${box.root} service stop ${b} ${a} ${c}\``);
    expect(r.stderr).toContain(`\`blueprint --root ${box.root} service stop ${b} ${a} --force\``);
    expect(await running(b)).toBe(true);
    expect(await running(a)).toBe(true);
  }, 60_000);

  it('restart NAME NAME restarts each', async () => {
    const r = await cli(box.root, ['service', 'restart', b, a]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject([
      { name: b, healthy: true },
      { name: a, healthy: true },
    ]);
  }, 120_000);

  it('stop PROVIDER CONSUMER: the consumer is stopped first, then what it uses', async () => {
    const r = await text(['service', 'stop', a, c, b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([`${c} stopped`, `${a} stopped`, `${b} stopped`]);
    for (const n of [a, b, c]) expect(await running(n)).toBe(false);
    const again = await cli(box.root, ['service', 'stop', a, c]);
    expect(again.json).toEqual([
      { name: c, stopped: false },
      { name: a, stopped: false },
    ]);
  }, 120_000);
});

describe('consumersFirst', () => {
  const uses: Record<string, string[]> = { rag: ['embeddings', 'vectors', 'llm'], app: ['rag'] };
  const of = (n: string) => uses[n] ?? [];
  it('puts every user before what it uses, through a chain, otherwise keeps the order given', async () => {
    const { consumersFirst } = await import('../../src/core/services/lifecycle.js');
    expect(consumersFirst(['vectors', 'embeddings', 'rag', 'hello', 'app'], of)).toEqual([
      'hello',
      'app',
      'rag',
      'vectors',
      'embeddings',
    ]);
    expect(consumersFirst(['llm', 'hello'], of)).toEqual(['llm', 'hello']);
  });
});
