import { defineConfig } from 'vitest/config';

// One runner for the whole repository. Core tests run under Node; renderer component tests run
// in happy-dom (added as a separate project once the renderer exists).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/renderer/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
