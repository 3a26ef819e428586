// Native file dialogs for snapshot files, answering the AdminApi's pickFile.
import { dialog } from 'electron';
import type { BrowserWindow } from 'electron';
import type { AdminApi } from '../core/admin/api.js';

const snapshotFilters = [
  { name: 'etcd snapshots', extensions: ['db', 'snapshot'] },
  { name: 'All files', extensions: ['*'] },
];

export function filePicker(window: () => BrowserWindow | null): AdminApi['pickFile'] {
  return async ({ purpose }) => {
    const owner = window();
    if (!owner) return { ok: false, error: { code: 'unavailable', message: 'The window is closed.' } };
    if (purpose === 'snapshotSave') {
      const result = await dialog.showSaveDialog(owner, { title: 'Save snapshot', defaultPath: 'snapshot.db', filters: snapshotFilters });
      return { ok: true, value: { path: result.canceled ? null : (result.filePath ?? null) } };
    }
    const result = await dialog.showOpenDialog(owner, { title: 'Open snapshot', properties: ['openFile'], filters: snapshotFilters });
    return { ok: true, value: { path: result.canceled ? null : (result.filePaths[0] ?? null) } };
  };
}
