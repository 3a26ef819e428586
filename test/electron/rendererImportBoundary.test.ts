// The renderer's import boundary as lint enforces it (eslint.config.js): from core/ the renderer
// may import exactly the AdminApi contract (core/admin/api, types only) and nothing else, and never
// Node or Electron. Reads the real configuration for a renderer file and runs its rule.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint, Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let rule: Linter.RuleEntry;

beforeAll(async () => {
  const config = (await new ESLint({ cwd: root }).calculateConfigForFile(path.join(root, 'renderer', 'stores', 'example.ts'))) as Linter.Config;
  const entry = config.rules?.['no-restricted-imports'];
  if (entry === undefined) throw new Error('the renderer has no import boundary rule');
  rule = entry;
});

/** The boundary messages lint reports for `source` in renderer/stores/. */
function violations(source: string): string[] {
  const messages = new Linter().verify(
    `${source}\n`,
    { languageOptions: { ecmaVersion: 2023, sourceType: 'module' }, rules: { 'no-restricted-imports': rule } },
    { filename: 'renderer/stores/example.js' },
  );
  return messages.map((message) => message.message);
}

describe('the renderer import boundary', () => {
  it('allows the AdminApi contract, with or without the .js extension, at any depth', () => {
    expect(violations("import { x } from '../../core/admin/api';")).toEqual([]);
    expect(violations("import { x } from '../../core/admin/api.js';")).toEqual([]);
    expect(violations("import { x } from '../core/admin/api';")).toEqual([]);
  });

  it('refuses every other module under core/, including names that merely start like the contract', () => {
    for (const target of ['../core/admin/validate', '../core/admin/apiExtra', '../core/admin/api/inner', '../core/raft/types.js', '../../core/client/etcdClient', 'core/admin/adminService']) {
      expect(violations(`import { x } from '${target}';`), target).toHaveLength(1);
    }
  });

  it('leaves renderer modules whose names contain "core" alone', () => {
    expect(violations("import { x } from './scoreboard/core-stats';")).toEqual([]);
    expect(violations("import { x } from './hardcore/list';")).toEqual([]);
  });

  it('refuses Node and Electron', () => {
    for (const target of ['node:fs', 'fs', 'child_process', 'electron']) expect(violations(`import x from '${target}';`), target).toHaveLength(1);
  });
});
