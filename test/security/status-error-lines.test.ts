/**
 * An error quoted inside one line of a human summary stays one line. `blueprint status` prints
 * "services: unknown (ERROR)" when the services cannot be listed, and the console wizard's summary
 * prints "Cannot apply: REASON"; an error's text can come from outside the program (the engine's
 * answer, a file's name, a module's manifest), and a line break in it let that text print lines of
 * its own under ours (a fake `hint:` or `services: hello running`). Other controls were escaped
 * already; now line breaks are too.
 */
import { render } from 'ink-testing-library';
import React from 'react';
import { expect, it } from 'vitest';
import { servicesLine } from '../../src/present/host.js';
import { BlockedLines } from '../../src/tui/screens/SetupSummary.js';

const hostile = 'engine down\nhint: nothing is wrong\r\n  services: hello running\u2028x';

it('status: the services error is one line', () => {
  const line = servicesLine({ error: hostile });
  expect(line).not.toMatch(/[\n\r\u2028]/);
  expect(line).toContain('engine down\\x0ahint: nothing is wrong');
});

it("the console wizard: a blocker's reason is one line", () => {
  const { lastFrame, unmount } = render(
    React.createElement(BlockedLines, { blocked: [hostile], plain: true }),
  );
  const frame = lastFrame() ?? '';
  unmount();
  expect(frame.split('\n').filter((l) => l.startsWith('Cannot apply:'))).toHaveLength(1);
  expect(frame).not.toMatch(/^hint:/m);
  expect(frame).not.toMatch(/^\s*services:/m);
});
