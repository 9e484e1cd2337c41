/**
 * `blueprint model import --name model-x`: `model list` shows a PACKAGE column of model-NAME, and
 * bpkg knows the model by it, so a user naming the model by its package made `model-model-x`
 * (listed as NAME model-x, PACKAGE model-model-x). Refused, saying the name to give.
 */
import { describe, expect, it } from 'vitest';
import { checkImportName } from '../../src/core/models/import.js';

describe('model import --name', () => {
  it('refuses a name that already starts with model-, saying the name to give', () => {
    expect(() => checkImportName('model-tiny')).toThrow(
      expect.objectContaining({
        exitCode: 2,
        message: expect.stringMatching(/model-tiny would make the package model-model-tiny/),
        hint: expect.stringMatching(/--name tiny/),
      }),
    );
    // Names that merely contain "model" are models' own.
    expect(() => checkImportName('tiny-model')).not.toThrow();
    expect(() => checkImportName('modelx')).not.toThrow();
  });
});
