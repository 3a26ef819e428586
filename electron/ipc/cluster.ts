// IPC for the Cluster and Raft pages: status, leader transfer, local clusters, raft inspection.
import type { AdminMethodName } from '../../core/admin/api.js';
import type { IpcContext } from './ipcContext.js';

export const clusterMethods = [
  'clusterStatus',
  'moveLeader',
  'clusterHistory',
  'addMember',
  'removeMember',
  'promoteMember',
  'listLocalClusters',
  'createLocalCluster',
  'destroyLocalCluster',
  'controlMember',
  'addLocalMember',
  'removeLocalMember',
  'promoteLocalMember',
  'partitionMember',
  'healPartitions',
  'memberLogs',
  'addLocalProxy',
  'removeLocalProxy',
  'connectThroughProxy',
  'localProxyStatus',
  'raftTermTimeline',
  'raftLogWindow',
  'raftProgress',
  'raftTraffic',
] as const satisfies readonly AdminMethodName[];

export function registerCluster(context: IpcContext): void {
  for (const method of clusterMethods) context.handle(method);
}
