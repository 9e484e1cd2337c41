import type { ServiceStatus } from '../app/index.js';
import { INFO_TIMEOUT_MS } from '../core/services/module-info.js';
import { escapeLine } from './escape.js';
import { loadedText } from './services.js';

/**
 * What a running module says of itself, in a few words for `blueprint status`'s services line
 * (`llm running (loaded tiny, q8 until 10:05 UTC)`): llm's loaded models, else a module's model
 * (embeddings), read from its `GET /info` within INFO_TIMEOUT_MS; a module that did not answer in
 * that time is said so. '' when there is nothing to say. The text comes from the module (a model's
 * name from a package): escaped here.
 */
export function statusModuleNote(s: Pick<ServiceStatus, 'state' | 'info' | 'infoUnanswered'>): string {
  if (s.state !== 'running') return '';
  if (s.infoUnanswered) return `did not answer within ${INFO_TIMEOUT_MS / 1000} s`;
  const info = s.info;
  if (!info) return '';
  if (typeof info.loaded === 'string') return `loaded ${loadedText(info.loaded)}`;
  if (typeof info.model === 'string' && info.model !== '') return `model ${escapeLine(info.model)}`;
  return '';
}
