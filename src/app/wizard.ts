/**
 * The setup wizard's steps, for the TUI's setup screen. Apart from types.ts (which every command
 * loads through src/app/index.ts) because the wizard pulls in the setup and service schemas, and
 * with them zod and semver: ~0.1 s of CPU that `service start` and most other commands never use.
 */
export { draftToAnswers, initialDraft, nextStep, STEPS } from '../core/setup/wizard.js';
