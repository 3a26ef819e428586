import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// One runner for the whole repository. Core tests run under Node; renderer component tests run
// in happy-dom with the Vue plugin, as a second project.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // Member processes run the compiled `rafter` (dist/core), built once here.
    globalSetup: ['test/support/buildOnce.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/renderer/**', 'node_modules/**'],
          environment: 'node',
        },
      },
      {
        extends: true,
        plugins: [vue()],
        test: {
          name: 'renderer',
          include: ['test/renderer/**/*.test.ts'],
          environment: 'happy-dom',
        },
      },
    ],
  },
});
