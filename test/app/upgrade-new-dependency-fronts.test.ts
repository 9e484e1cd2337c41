/**
 * An upgrade whose new version needs a package not installed yet installs that package too. The
 * CLI says so (test/cli/upgrade-new-dependency); the console's `u` said 'newlib undefined -> 1.0.0'
 * (a package new to the box was upgraded from no version). Each front end now says it in the
 * CLI's words (present/install.ts upgradedLine).
 */
import { describe, expect, it } from 'vitest';
import { coreSources } from '../../src/tui/sources.js';
import { boxBeforeNewDependency } from '../helpers/new-dependency.js';
import { webUpgrade } from '../web/web-upgrade.js';

const fronts = {
  'the console': (root: string) => coreSources(root).packageAction!,
  'the web dashboard': webUpgrade,
};

describe('an upgrade that brings in a new dependency', () => {
  for (const [front, action] of Object.entries(fronts))
    it(`${front} names it as installed, a dependency of the package upgraded`, async () => {
      const root = await boxBeforeNewDependency();
      const lines: string[] = [];
      await action(root)('upgrade', '', (l) => lines.push(l), new AbortController().signal);
      const text = lines.join('\n');
      expect(text).not.toContain('undefined');
      expect(text).toContain('app 1.0.0 -> 2.0.0');
      expect(text).toContain('installed newlib 1.0.0 from main (a dependency of app)');
    });
});
