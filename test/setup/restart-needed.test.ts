/**
 * Which services apply leaves running with their old resources or settings (core/setup's
 * restartNeeded): those that ran before and still run, whose overrides or settings file changed.
 * A service apply starts or stops, or one whose files did not change, needs no restart.
 */
import { describe, expect, it } from 'vitest';
import type { Change, SetupPlan } from '../../src/core/setup/plan.js';
import { restartNeeded } from '../../src/core/setup/restart-needed.js';

const service = (target: string, action: Change['action']): Change => ({
  action,
  kind: 'service',
  target,
  what: 'running',
});
const file = (target: string, action: Change['action'] = 'update'): Change => ({
  action,
  kind: action === 'delete' ? 'absent' : 'file',
  target,
  what: target,
});
const planOf = (changes: Change[]) => ({ changes }) as unknown as SetupPlan;

describe('restartNeeded', () => {
  it('names running services whose overrides or settings changed, with what changed', () => {
    const done = [
      file('etc/blueprint/overrides/llm.json'),
      file('etc/blueprint/settings/llm.json', 'create'),
      file('etc/blueprint/overrides/vectors.json', 'delete'),
      file('etc/blueprint/settings/rag.json'),
      file('etc/blueprint/overrides/new.json', 'create'),
      file('etc/hostname'),
    ];
    const plan = planOf([
      service('llm', 'unchanged'),
      service('vectors', 'unchanged'),
      service('rag', 'delete'),
      service('new', 'create'),
    ]);
    expect(restartNeeded(plan, done)).toEqual([
      { name: 'llm', changed: ['resources', 'settings'] },
      { name: 'vectors', changed: ['resources'] },
    ]);
  });

  it('none when no module file changed', () => {
    expect(restartNeeded(planOf([service('llm', 'unchanged')]), [file('etc/hostname')])).toEqual([]);
  });
});
