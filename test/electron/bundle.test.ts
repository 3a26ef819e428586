// The desktop bundles: the sandboxed preload must be one self-contained file whose only require is
// `electron`, and the main bundle must ship the .proto files it reads at run time.
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildElectron } from '../../build/buildElectron.js';
import { AdminService } from '../../core/admin/adminService.js';

const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'electron');

beforeAll(async () => {
  await buildElectron();
}, 120_000);

describe('desktop bundles', () => {
  it('builds a preload that requires nothing but electron', async () => {
    const preload = await readFile(path.join(outDir, 'preload.cjs'), 'utf8');
    const required = [...preload.matchAll(/require\(["']([^"']+)["']\)/g)].map((match) => match[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer/);
  });

  it('ships the etcd .proto files next to the main bundle', async () => {
    const files = await readdir(outDir);
    expect(files).toEqual(expect.arrayContaining(['main.mjs', 'preload.cjs', 'rafter.mjs', 'rpc.proto', 'kv.proto', 'auth.proto']));
  });

  it('bundles a member command that runs a local cluster on its own', async () => {
    const baseDir = await mkdtemp(path.join(os.tmpdir(), 'rafter-bundle-'));
    const service = new AdminService({ localClusters: { baseDir, memberCommand: [process.execPath, path.join(outDir, 'rafter.mjs')] } });
    try {
      const created = await service.createLocalCluster({ name: 'bundled', memberCount: 1 });
      if (!created.ok) throw new Error(created.error.message);
      const put = await service.putKey({ connectionId: created.value.connectionId, key: '/bundled', value: Buffer.from('yes').toString('base64') });
      expect(put.ok).toBe(true);
    } finally {
      await service.close();
      await rm(baseDir, { recursive: true, force: true });
    }
  });
});
