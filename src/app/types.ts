/**
 * The types and errors front ends need from the layers below, re-exported so that they import
 * only src/app (and src/present). Types only, plus the error classes and the wizard's pure model.
 */
export {
  BlueprintError,
  ConflictError,
  DeclinedError,
  ExitCode,
  type ExitCodeValue,
  InterruptedError,
  isPermissionDenied,
  NotFoundError,
  UsageError,
  VerificationError,
} from '../core/errors.js';
export type { Accelerator, GpuReport } from '../core/gpu/types.js';
export type { LintReport } from '../core/modules/index.js';
export type { BuildHooks, RepoConfig, Signer, UpdateOutcome, VerifyReport } from '../core/pkg/index.js';
export type { AdmissionError, AdmissionVerdict } from '../core/services/admission.js';
export type { AppArmorPlan } from '../core/services/apparmor.js';
export type { Check } from '../core/services/doctor.js';
export type { ServiceInspection } from '../core/services/inspect.js';
export type { StartResult } from '../core/services/lifecycle.js';
export type { Rating, RatingItem } from '../core/services/rating.js';
export type { ServiceStatus } from '../core/services/status.js';
export type { WatchEvent } from '../core/services/watch.js';
export type {
  AnswersInput,
  ApplyResult,
  Change as SetupChange,
  LoadedSpec,
  ModuleOps,
  SetupHold,
  SetupPlan,
} from '../core/setup/index.js';
// The wizard's values are in ./wizard.js: they load zod, which no other command needs at start.
export type { Draft, Step, WizardEnv } from '../core/setup/wizard.js';
export type { ExposureAudit, Listener, ListenerRole } from '../core/system/exposure.js';
export type { HostFacts } from '../core/system/host.js';
export { cpuBusy } from '../core/system/host.js';
export { type Layout, layout } from '../core/system/paths.js';
export { VERSION } from '../core/version.js';
