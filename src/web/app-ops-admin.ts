import { type Box, UsageError } from '../app/index.js';
import { isRepositoryName } from '../app/repos.js';
import { escapeLine } from '../present/escape.js';
import { showFingerprint } from '../present/fingerprint.js';
import {
  defaultModelText,
  defaultSetText,
  importedLines,
  importProgress,
  modelFactRows,
} from '../present/models.js';
import {
  keyTrustedText,
  repoAddedText,
  repoNotThereText,
  repoRemovedWarning,
  uncertifiedUserIdsNote,
} from '../present/repos.js';
import { rotationText } from '../present/services.js';
import { tokenSetText } from '../present/token-set.js';
import { bytes } from '../present/units.js';
import { updateOutcomeText } from '../present/update-outcome.js';
import type { DashboardOps } from './ops.js';

/**
 * The Models and Tokens pages' operations (app-ops.ts has the rest), each the `src/app` call of the
 * CLI command of the same name: `blueprint model list|show|default`, `blueprint service token`,
 * `service rotate-tokens`. Removing a model is the package removal (`bpkg remove model-NAME`, which
 * `blueprint model rm` is): the Packages page's confirmation and job, with its refusals.
 */
export function adminOps(
  box: Box,
): Required<
  Pick<
    DashboardOps,
    | 'models'
    | 'model'
    | 'setDefaultModel'
    | 'tokens'
    | 'newToken'
    | 'setOwnToken'
    | 'rotateConsumerTokens'
    | 'removeRepo'
    | 'installedFrom'
    | 'checkModelUpload'
    | 'receiveModel'
    | 'pruneModelUploads'
    | 'importModel'
    | 'checkNewRepo'
    | 'addRepo'
  >
> {
  return {
    async models() {
      const [list, d, builtIn] = await Promise.all([
        box.models.list(),
        box.models.defaultModel(),
        box.models.llmBuiltIn(),
      ]);
      return {
        defaultLine: defaultModelText(d, builtIn),
        ...(builtIn ? { llmBuiltIn: true } : {}),
        ...(d.default ? { defaultSet: true } : {}),
        rows: list.map((m) => ({
          name: m.name,
          package: m.package,
          version: m.version,
          origin: m.origin,
          isDefault: m.isDefault,
          ...(m.fallback ? { fallback: true } : {}),
          ...(m.facts ? { size: bytes(m.facts.sizeBytes) } : {}),
          // From the GGUF's header (its general.file_type): a number the table knows, else none.
          ...(m.facts?.quantisation ? { quantisation: m.facts.quantisation } : {}),
          ...(m.error ? { error: escapeLine(m.error) } : {}),
        })),
      };
    },
    model: async (name) => modelFactRows(await box.models.show(name)),
    checkModelUpload: (o) => box.models.checkUpload(o),
    receiveModel: (body, n, signal) => box.models.receive(body, n, signal),
    pruneModelUploads: () => box.models.pruneUploads(),
    async importModel(upload, o, progress, signal) {
      try {
        const r = await box.models.import(upload.file, {
          name: o.name,
          ...(o.license ? { license: o.license } : {}),
          ...(o.shownAs ? { shownAs: o.shownAs } : {}),
          onImport: importProgress(progress),
          signal,
        });
        for (const l of importedLines(r)) progress(l);
        return { changed: r.changed };
      } finally {
        await upload.discard();
      }
    },
    async setDefaultModel(name) {
      // An llm with its model built in serves that one only: said, not a restart that changes nothing.
      const [r, builtIn] = await Promise.all([box.models.setDefaultModel(name), box.models.llmBuiltIn()]);
      return defaultSetText(r, builtIn);
    },
    tokens: () => box.services.tokens(),
    async newToken(name) {
      const r = await box.services.setToken(name);
      return { name: r.name, token: r.token ?? '', file: r.file, restart: [r.name, ...r.usedBy] };
    },
    async setOwnToken(name, token) {
      // As `service token NAME --stdin | --remove` says it; the token itself is never in the line.
      const r = await box.services.setToken(name, token === undefined ? { remove: true } : { token });
      return tokenSetText(r);
    },
    rotateConsumerTokens: async (provider) => rotationText(await box.services.rotateTokens(provider)),
    installedFrom: async (repo) =>
      (await box.packages.list()).filter((p) => p.origin === repo).map((p) => p.name),
    async checkNewRepo(ask) {
      const c = await box.repos.checkNew(ask);
      return {
        name: c.name,
        url: c.url,
        mirrors: c.mirrors,
        ...(c.repository !== undefined ? { repository: c.repository } : {}),
        fingerprint: c.key.fingerprint,
        shownFingerprint: showFingerprint(c.key.fingerprint),
        userIds: c.key.userIds.map(escapeLine),
        ...(c.key.uncertified ? { otherUserIds: uncertifiedUserIdsNote(c.key.uncertified) } : {}),
        created: c.key.created,
        ...(c.key.expires ? { expires: c.key.expires } : {}),
      };
    },
    async addRepo(ask, progress, signal) {
      // `bpkg key add --fingerprint`, `bpkg repo add --key` and `bpkg update`, each said as the CLI says it.
      const r = await box.repos
        .addWithKey(
          ask,
          (done) => {
            if (done.trusted) progress(`${keyTrustedText(done.trusted)}, for repository ${ask.name} only`);
            if (done.added) progress(repoAddedText(done.added).replace(/; run `bpkg update`$/, ''));
          },
          signal,
        )
        .catch((err) => {
          const outcome = (err as { outcome?: Parameters<typeof updateOutcomeText>[0] }).outcome;
          if (outcome) progress(updateOutcomeText(outcome));
          throw err;
        });
      progress(updateOutcomeText(r.outcome));
    },
    async removeRepo(name) {
      // As `bpkg repo remove`: the packages from it named before it goes.
      // Gone since its page was shown (another admin, a playbook): nothing to do, as the CLI says it.
      if (!(await box.repos.list()).some((r) => r.name === name)) {
        // A name no repository can have (a look-alike letter): refused as `bpkg repo remove` refuses
        // it, not "not there", which read as the configured one it looks like gone.
        if (!isRepositoryName(name))
          throw new UsageError(
            `Bad repository name ${escapeLine(name)}`,
            '`bpkg repo list` shows the repositories configured.',
          );
        return repoNotThereText(name);
      }
      const from = (await box.packages.list()).filter((p) => p.origin === name).map((p) => p.name);
      await box.repos.remove(name);
      return [`removed repository ${name}`, repoRemovedWarning(name, from)].filter(Boolean).join('\n');
    },
  };
}
