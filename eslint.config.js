// Lint for the whole repository: typed rules on TypeScript, Vue rules on the renderer, and the
// import boundaries that keep core/ free of Electron and Vue and the renderer free of Node and core.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import { existsSync } from 'node:fs';

// Without the optional dependency electron (its binary could not be downloaded), electron/ has no
// types to lint against; it is left out, as `npm run typecheck` leaves it out.
const electronInstalled = existsSync(new URL('./node_modules/electron/package.json', import.meta.url));
if (!electronInstalled) console.log("lint: electron/ and test/electron/ skipped: the optional dependency 'electron' is not installed.");

const coreForbidden = {
  patterns: [
    { group: ['electron', 'electron/*'], message: 'core/ never imports Electron.' },
    { group: ['vue', 'vue/*', 'pinia', 'naive-ui'], message: 'core/ never imports Vue.' },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'renderer/dist/', '**/*.d.ts', 'bench/results/', '.tmp/', 'test-results/', ...(electronInstalled ? [] : ['electron/', 'test/electron/'])] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.vue'] },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true, allowAny: false, allowRegExp: false }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['eslint.config.js', 'bin/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', coreForbidden] },
  },
  {
    files: ['core/raft/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...coreForbidden.patterns,
            { group: ['node:*', 'fs', 'net', 'http', 'http2', 'os', 'child_process', 'crypto', 'timers'], message: 'core/raft is pure: no I/O.' },
            { group: ['../*', '!../raft/*'], message: 'core/raft imports nothing outside itself.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'process', 'performance'],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'core/raft has no clock: time is ticks.' },
        { object: 'Math', property: 'random', message: 'core/raft randomness is an injected seeded source.' },
      ],
    },
  },
  ...pluginVue.configs['flat/recommended'].map((config) => ({ ...config, files: ['renderer/**/*.vue', 'renderer/**/*.ts', 'test/renderer/**/*.ts'] })),
  {
    files: ['renderer/**/*.vue', 'renderer/**/*.ts', 'test/renderer/**/*.ts'],
    languageOptions: {
      parserOptions: { parser: tseslint.parser, projectService: true, extraFileExtensions: ['.vue'] },
      globals: { ...globals.browser },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*', 'fs', 'path', 'net', 'http', 'child_process', 'electron'], message: 'The renderer never imports Node or Electron.' },
            // Any path segment `core/` except exactly core/admin/api(.js): the contract, types only.
            { regex: '(^|/)core/(?!admin/api(\\.js)?$)', message: 'The renderer talks to the back end only through the typed API contract (core/admin/api).' },
          ],
        },
      ],
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
);
