import { afterAll } from 'vitest';
import { removeTaggedImages } from '../helpers/test-images.js';
import { removeTempDirs } from './temp-registry.js';

// Registered before the file's own hooks, so it runs after them (after-hooks run as a stack):
// services a file started on these folders are stopped by then, and their containers are gone.
afterAll(() => {
  removeTempDirs();
  removeTaggedImages();
});
