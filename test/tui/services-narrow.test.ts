/**
 * CONSOLE3's walk at 40×12: the Services list squeezed four columns into 38, so every name was cut
 * to its first 8 characters (seven services all read `bpt-nar…`) and `not created` to `not cre…`.
 * Now a narrow screen lists the name and the state (the rating and the detail are Enter's); the
 * title, the header and the whole key line stay in sight while the rows scroll. dist/blueprint in
 * tmux, services installed on the real engine (not started); at 120 columns every column as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHello, engineUp, makeBox, type TestBox, uniqueName } from '../services/helpers.js';
import { exe, keepScreen, Pane, requireExe } from './tmux.js';

describe.skipIf(!engineUp)('Services at 40×12 and 120×40 with more services than fit', () => {
  let box: TestBox | undefined;
  const panes: Pane[] = [];
  const names = Array.from({ length: 7 }, (_, i) => uniqueName(`bpt-nar${i}`));
  beforeAll(async () => {
    requireExe();
    box = await makeBox(await buildHello());
    for (const n of names) await box.install(n);
  }, 240_000);
  afterAll(async () => {
    for (const p of panes) p.kill();
    await box?.cleanup();
  });

  it('120×40: every column', async () => {
    const p = new Pane([exe, '--root', box!.root], { width: 120, height: 40 });
    panes.push(p);
    await p.waitFor('Host');
    p.keys('3');
    const s = await p.waitFor(/Services \(7\)[\s\S]*not created/);
    expect(s).toMatch(/Service +State +Security +Detail/);
    expect(s).toMatch(new RegExp(`${names[0]} +not created +\\d/8 +1\\.0\\.0`));
  });

  it('40×12: whole names and states; the title, the header and the whole key line stay while the rows scroll', async () => {
    const p = new Pane([exe, '--root', box!.root], { width: 40, height: 12 });
    panes.push(p);
    await p.waitFor('Host');
    p.keys('3');
    const s = await p.waitFor(/Services \(7\)[\s\S]*not cre/);
    await keepScreen('services-40', s);
    const rows = s.split('\n');
    expect(rows[1]).toContain('Services (7)');
    expect(rows[2]).toMatch(/Service +State/);
    expect(s).toMatch(new RegExp(`> ${names[0]} +not created`));
    expect(s).toContain(names[1]);
    expect(s.replace(/\s+/g, ' ')).toContain(
      's start S stop R restart l logs c settings Enter inspect, security rating',
    );
    expect(rows[11]).toContain('q back');
    // The last service is reached by moving down: the rows scroll, the rest stays.
    for (let i = 0; i < 6; i++) {
      p.keys('j');
      await new Promise((r) => setTimeout(r, 150));
    }
    const end = await p.waitFor(`> ${names[6]}`);
    expect(end.split('\n')[1]).toContain('Services (7)');
    expect(end.replace(/\s+/g, ' ')).toContain('Enter inspect, security rating');
  });
});
