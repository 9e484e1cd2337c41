import { describe, expect, it } from 'vitest';
import { refuseBreaking } from '../../src/core/pkg/constraints.js';
import type { Candidate } from '../../src/core/pkg/resolve.js';

// QA15's walk: notes-ui 0.1.0 uses notes>=0.1.0,<1.0.0, notes was removed, and `bpkg install notes`
// brought the newest, 1.0.0: refused, with the hint 'Choose a version that notes-ui accepts, or
// upgrade notes-ui with it (bpkg install notes-ui NAME@VERSION)', which named neither the package
// whose version to choose nor how. The hint now names it and the commands, with their backticks.
describe('bpkg install refused for breaking an installed package', () => {
  it('names the package to pick a version of, and the command for each way', () => {
    const installed = {
      'notes-ui': { name: 'notes-ui', version: '0.1.0', depends: ['notes>=0.1.0,<1.0.0'] },
    };
    const chosen = [
      { entry: { name: 'notes', version: '1.0.0', depends: [] }, repo: 'test' },
    ] as unknown as Candidate[];
    let caught: { message: string; hint?: string } | undefined;
    try {
      refuseBreaking(installed, chosen);
    } catch (err) {
      caught = err as { message: string; hint?: string };
    }
    expect(caught?.message).toBe(
      'This would break what installed packages need: notes-ui 0.1.0 needs notes>=0.1.0,<1.0.0 (notes 1.0.0 would be current)',
    );
    expect(caught?.hint).toBe(
      'Choose a version of notes that notes-ui accepts (`bpkg install notes@VERSION`), or upgrade notes-ui with it (`bpkg install notes-ui notes`).',
    );
  });
});
