/**
 * The setup wizard's summary, refused by the plan (a module the repository just added does not
 * offer, a repository that cannot be fetched): the error named a field of an answers file the admin
 * never wrote (`modules.0.name: "hello-dta" …`, found by the QA4 walk); now the step that asked
 * for it, as `setup`'s flags name theirs (present/setup.ts byWizardStep).
 */
import { expect, it } from 'vitest';
import { byWizardStep } from '../../src/present/setup.js';

it('names each refused field by the wizard step that asked for it', () => {
  expect(
    byWizardStep(
      'modules.0.name: "hello-dta" is not in the offline catalog nor in a configured repository (did you mean hello-data?)',
    ),
  ).toBe(
    'Modules: "hello-dta" is not in the offline catalog nor in a configured repository (did you mean hello-data?)',
  );
  expect(
    byWizardStep('modules.1.name: "x" cannot be checked: the index of repository main could not be fetched'),
  ).toBe('Modules: "x" cannot be checked: the index of repository main could not be fetched');
  expect(byWizardStep('hostname: too long; admin.keys.0: not an SSH key')).toBe(
    'Host name: too long; Admin SSH key: not an SSH key',
  );
  expect(byWizardStep('repository.fingerprint: does not match')).toBe('Repository key: does not match');
});

it('leaves a message that opens with no field as it is', () => {
  expect(byWizardStep('The container engine is not running: start it')).toBe(
    'The container engine is not running: start it',
  );
  expect(byWizardStep('unknown.field: x')).toBe('unknown.field: x');
});
