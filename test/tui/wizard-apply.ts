import { frameWith, type } from './helpers.js';

/**
 * From the wizard's modules step (answerWizardToModules' end) to its last screen: no module chosen,
 * the summary's changes applied (y); the "Done." frame.
 */
export async function applyNoModules(
  app: Parameters<typeof frameWith>[0] & Parameters<typeof type>[0],
): Promise<string> {
  await frameWith(app, 'Modules to install');
  await type(app, '\r');
  await frameWith(app, 'Apply these changes?');
  await type(app, 'y');
  return frameWith(app, 'Done.');
}
