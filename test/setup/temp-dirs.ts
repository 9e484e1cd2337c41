import { afterAll } from 'vitest';
import { removeTempDirs } from '../helpers/pkg.js';

// Registered before any test file's own hooks, so it runs after them (after-hooks run as a stack):
// services a file started on these folders are stopped by then.
afterAll(() => {
  removeTempDirs();
});
