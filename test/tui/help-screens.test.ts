/**
 * `blueprint tui --help` said 'Keys: ? help, 1-5 screens' and named five screens (dashboard,
 * packages, services, keys, setup), while the console has seven (Outbound and System since): 6 and
 * 7 were nowhere in the help a first-time user reads before opening it. The help now names the
 * keys and the screens the console's own key table has (src/tui/keys.ts, what `?` shows).
 */
import { describe, expect, it } from 'vitest';
import { GLOBAL_KEYS } from '../../src/tui/keys.js';
import { runCliHere } from '../helpers/cli-here.js';

describe('tui --help', () => {
  it("names the console's screen keys and every screen", async () => {
    const [keys, what] = GLOBAL_KEYS[0]!;
    const screens = what.replace(/^switch screen: /, '').split(', ');
    expect(screens.length).toBeGreaterThan(5);
    const r = await runCliHere(['tui', '--help']);
    expect(r.code).toBe(0);
    const range = keys.split(' ')[0]!; // '1-7'
    expect(r.out).toContain(`${range} screens`);
    for (const s of screens) expect(r.out.toLowerCase(), s).toContain(s.toLowerCase());
  });
});
