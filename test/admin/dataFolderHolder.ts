// A second console process for the folder lock tests: opens an AdminService (no local clusters) on
// the data folder named by its argument, prints `held` or `refused: <message>`, and keeps running
// until its stdin closes (then releases the folder) or it is killed (then leaves a stale lock).
// With `--on-go` it prints `ready` once loaded and opens only when a line arrives on stdin, so
// several holders can start opening at the same moment.
// Run as `node --import tsx test/admin/dataFolderHolder.ts <folder> [--on-go]`.
import { createInterface } from 'node:readline';
import { AdminService } from '../../core/admin/adminService.js';
import { appDataOptions } from '../../core/admin/appData.js';

const folder = process.argv[2];
if (folder === undefined) throw new Error('usage: dataFolderHolder.ts <data folder> [--on-go]');
const service = new AdminService(appDataOptions(folder, null));
if (process.argv[3] === '--on-go') {
  const lines = createInterface({ input: process.stdin });
  process.stdout.write('ready\n');
  await new Promise((resolve) => lines.once('line', resolve));
  lines.close();
}
try {
  await service.open();
  process.stdout.write('held\n');
} catch (error) {
  process.stdout.write(`refused: ${error instanceof Error ? error.message : String(error)}\n`);
}
process.stdin.resume();
process.stdin.once('end', () => {
  void service.close().finally(() => process.exit(0));
});
