/**
 * Text from outside (an error quoting a server's answer, a file's name, a log line) shown where
 * the console says one thing in one line: before, a newline in it (CR, U+2028/U+2029 and NEL too,
 * where a source did not escape them) started a line of its own, so the text could paint a console
 * line of its own making (a status, a prompt) under the screen's. Each of those places shows it
 * in one line now, the line breaks as visible `\x0a`; the log pane stays one line per log line.
 * The sources here are handed in raw: the screens escape what they show themselves.
 */
import { describe, expect, it } from 'vitest';
import type { Sources } from '../../src/tui/sources.js';
import { boxPerTest } from '../helpers/roots.js';
import { frameWith, renderApp, sourcesFor, type } from './helpers.js';

const box = boxPerTest('ink-one-line');

const FAKE = 'FAKE all services running';
const BREAKS = ['\n', '\r\n', '\r', '\u2028', '\u2029', '\u0085'];
/** `what` with each kind of line break before a line of the attacker's. */
const attack = (what: string) => BREAKS.map((b) => `${what}${b}${FAKE}`).join(' ');

/** No line of the frame is the attacker's: it does not start one, even indented. */
function noFakeLine(frame: string) {
  for (const line of frame.split('\n')) expect(line.trimStart().startsWith('FAKE')).toBe(false);
  expect(frame).toContain(`\\x0a${FAKE}`);
}

const row = { name: 'web', state: 'running', sandboxed: true, detail: '' };
const services: Sources['services'] = async () => ({ available: true, value: [row] });

describe('untrusted text in a one-line place stays in one line', () => {
  it("the Dashboard's 'Cannot read the host'", async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        host: () => Promise.reject(new Error(attack('/proc/uptime'))),
      }),
    );
    noFakeLine(await frameWith(app, 'Cannot read the host'));
    app.unmount();
  });

  it("a Dashboard row's reason it is not available", async () => {
    const app = renderApp(
      sourcesFor(box.root, { updates: async () => ({ available: false, reason: attack('index refused') }) }),
    );
    noFakeLine(await frameWith(app, 'index refused'));
    app.unmount();
  });

  it("the Packages screen's note when who signed a package cannot be read", async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        packages: async () => ({
          available: true,
          value: [{ name: 'hello', version: '1.0.0', installed: false, summary: 'hi' }],
        }),
        packageAction: async () => undefined,
        signerOf: () => Promise.reject(new Error(attack('server answered 502'))),
      }),
    );
    await type(app, '2');
    await frameWith(app, 'Packages (1)');
    await type(app, 'i');
    noFakeLine(await frameWith(app, 'server answered 502'));
    app.unmount();
  });

  it("a list screen's reason it is not available", async () => {
    const app = renderApp(
      sourcesFor(box.root, { packages: async () => ({ available: false, reason: attack('index refused') }) }),
    );
    await type(app, '2');
    noFakeLine(await frameWith(app, 'index refused'));
    app.unmount();
  });

  it("the Services screen's note when an action fails", async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        services,
        serviceAction: () => Promise.reject(new Error(attack('engine said'))),
      }),
    );
    await type(app, '3');
    await frameWith(app, 'Services (1)');
    await type(app, 's');
    noFakeLine(await frameWith(app, 'start web: engine said'));
    app.unmount();
  });

  it('the logs pane: one line per log line, and its error in one line', async () => {
    const app = renderApp(
      sourcesFor(box.root, {
        services,
        followLogs: async (_name, onLine) => {
          onLine(attack('GET /a'));
          throw new Error(attack('logs ended'));
        },
      }),
    );
    await type(app, '3');
    await frameWith(app, 'Services (1)');
    await type(app, 'l');
    const frame = await frameWith(app, 'logs ended');
    noFakeLine(frame);
    expect(frame).toContain('GET /a\\x0a');
    app.unmount();
  });

  it("the System screen's reason it is not available", async () => {
    const app = renderApp(
      sourcesFor(box.root, { system: async () => ({ available: false, reason: attack('RAUC said') }) }),
    );
    await type(app, '7');
    noFakeLine(await frameWith(app, 'RAUC said'));
    app.unmount();
  });
});

it("an operation's error shows no line of its own at the margin", async () => {
  // A block, as the CLI's error is (errorBlock): a further line is indented under the message.
  const app = renderApp(
    sourcesFor(box.root, {
      packages: async () => ({
        available: true,
        value: [{ name: 'hello', version: '1.0.0', installed: true, summary: 'hi' }],
      }),
      packageAction: () => Promise.reject(new Error('download failed\nDone.')),
    }),
  );
  await type(app, '2');
  await frameWith(app, 'Packages (1)');
  await type(app, 'x');
  await frameWith(app, 'Confirm: remove hello?');
  await type(app, 'y');
  const frame = await frameWith(app, 'Press any key.');
  expect(frame).toContain('download failed');
  // The screen's margin is where its own 'Press any key.' starts.
  const margin = /^( *)Press any key\./m.exec(frame)![1]!;
  expect(frame.split('\n')).not.toContain(`${margin}Done.`);
  app.unmount();
});
