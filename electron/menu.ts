// The application menu: the standard roles, plus help links opened in the user's browser.
import { Menu, shell } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';

export const projectUrl = 'https://github.com/rafter-kv/rafter';

export function installMenu(isMac: boolean): void {
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
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
