// Authentication and authorisation of the active connection: on/off, users, roles, permissions.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Permission, Result, RoleInfo, UserInfo } from '../contract';
import { adminApi } from '../api';
import { useConnectionScope } from './connectionScope';

export const useAuthStore = defineStore('auth', () => {
  const enabled = ref<boolean | null>(null);
  const users = ref<UserInfo[]>([]);
  const roles = ref<RoleInfo[]>([]);
  const scope = useConnectionScope(() => {
    enabled.value = null;
    users.value = [];
    roles.value = [];
  });
  const list = scope.requestState();
  const action = scope.requestState();

  async function load(connectionId: string): Promise<void> {
    const api = adminApi();
    const status = await list.run(() => api.authStatus({ connectionId }));
    if (!status.ok) return;
    enabled.value = status.value.enabled;
    const userResult = await list.run(() => api.listUsers({ connectionId }));
    if (userResult.ok) users.value = userResult.value;
    const roleResult = await list.run(() => api.listRoles({ connectionId }));
    if (roleResult.ok) roles.value = roleResult.value;
  }

  /** Runs one change, then reloads everything it may affect. */
  async function change(connectionId: string, work: () => Promise<Result<null>>): Promise<boolean> {
    const result = await action.run(work);
    if (result.ok) await load(connectionId);
    return result.ok;
  }

  const api = () => adminApi();
  return {
    enabled,
    users,
    roles,
    loading: list.loading,
    error: list.error,
    acting: action.loading,
    actionError: action.error,
    load,
    setEnabled: (connectionId: string, on: boolean) => change(connectionId, () => api().setAuthEnabled({ connectionId, enabled: on })),
    addUser: (connectionId: string, name: string, password: string) => change(connectionId, () => api().addUser({ connectionId, name, password })),
    deleteUser: (connectionId: string, name: string) => change(connectionId, () => api().deleteUser({ connectionId, name })),
    changePassword: (connectionId: string, name: string, password: string) =>
      change(connectionId, () => api().changePassword({ connectionId, name, password })),
    grantRole: (connectionId: string, user: string, role: string) => change(connectionId, () => api().grantRole({ connectionId, user, role })),
    revokeRole: (connectionId: string, user: string, role: string) => change(connectionId, () => api().revokeRole({ connectionId, user, role })),
    addRole: (connectionId: string, name: string) => change(connectionId, () => api().addRole({ connectionId, name })),
    deleteRole: (connectionId: string, name: string) => change(connectionId, () => api().deleteRole({ connectionId, name })),
    grantPermission: (connectionId: string, role: string, permission: Permission) =>
      change(connectionId, () => api().grantPermission({ connectionId, role, permission })),
    revokePermission: (connectionId: string, role: string, permission: Permission) =>
      change(connectionId, () => api().revokePermission({ connectionId, role, key: permission.key, rangeEnd: permission.rangeEnd })),
  };
});
