// What the console's entry (src/tui/index.ts) takes once the Dashboard's read has started: Ink,
// React and the screens. In the executable this module and what it imports are the console part,
// compiled with a code cache made after a first paint (scripts/build-console-part.mjs).
import { render } from 'ink';
import React from 'react';

export { App } from './App.js';
export { Settle } from './Settle.js';
export { isPlain } from './theme.js';
export { render };
export const createElement = React.createElement;
