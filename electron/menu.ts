// The application menu: the standard roles, the File menu's folder items (folderMenu.ts), and
// help links opened in the user's browser.
import { Menu, shell } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

export const projectUrl = 'https://github.com/rafter-kv/rafter';

export function installMenu(isMac: boolean, folderItems: readonly MenuItemConstructorOptions[]): void {
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { label: 'File', submenu: [...folderItems, { type: 'separator' }, isMac ? { role: 'close' } : { role: 'quit' }] },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [{ role: 'reload' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
    },
    { role: 'windowMenu' },
    {
      role: 'help',
      submenu: [
        { label: 'Rafter on the web', click: () => void shell.openExternal(projectUrl) },
        { label: 'etcd API reference', click: () => void shell.openExternal('https://etcd.io/docs/v3.5/learning/api/') },
      ],
    },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
