export { type LintReport, lintModule } from './lint.js';
export { checkManifest, type Finding, fieldPath, type Loosening, loosenings } from './policy.js';
export { type Scaffolded, scaffoldModule } from './scaffold.js';
export { type TemplateFile, templateFiles } from './template/index.js';
