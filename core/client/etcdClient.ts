// EtcdClient: the typed etcd v3 client. It owns the connection (endpoints, TLS, auth, deadlines)
// and exposes one object per etcd service. Works against real etcd (3.4/3.5) and against Rafter.
import { Connection } from './connection.js';
import type { ConnectionOptions } from './connection.js';
import { AuthClient } from './authClient.js';
import { ClusterClient } from './clusterClient.js';
import { KvClient } from './kvClient.js';
import { ElectionClient, LockClient } from './lockClient.js';
import { LeaseClient } from './leaseClient.js';
import { MaintenanceClient } from './maintenanceClient.js';
import { WatchClient } from './watchClient.js';

/** Options of an EtcdClient; see ConnectionOptions. */
export type EtcdClientOptions = ConnectionOptions;

/**
 * A client of one etcd cluster. Calls go to the current endpoint and fail over to the next on
 * UNAVAILABLE; with `auth`, a token is obtained on first use and renewed when the server rejects
 * it. Every failure is an EtcdError carrying the gRPC code and etcd's message. Call close() when
 * done: it ends watches, keep-alives and channels.
 */
export class EtcdClient {
  readonly kv: KvClient;
  readonly watch: WatchClient;
  readonly lease: LeaseClient;
  readonly cluster: ClusterClient;
  readonly maintenance: MaintenanceClient;
  readonly auth: AuthClient;
  readonly lock: LockClient;
  readonly election: ElectionClient;
  private readonly connection: Connection;

  constructor(options: EtcdClientOptions) {
    this.connection = new Connection(options);
    this.kv = new KvClient(this.connection);
    this.watch = new WatchClient(this.connection);
    this.lease = new LeaseClient(this.connection);
    this.cluster = new ClusterClient(this.connection);
    this.maintenance = new MaintenanceClient(this.connection);
    this.auth = new AuthClient(this.connection);
    this.lock = new LockClient(this.connection);
    this.election = new ElectionClient(this.connection);
  }

  /** Endpoints as `host:port`. */
  get endpoints(): readonly string[] {
    return this.connection.endpoints;
  }

  /** The endpoint calls currently go to. */
  get currentEndpoint(): string {
    return this.connection.currentEndpoint;
  }

  close(): void {
    this.watch.close();
    this.lease.close();
    this.connection.close();
  }
}
