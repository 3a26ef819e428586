// Authentication and authorization through the etcd client against a real single-member etcd and
// a single-member Rafter: user and role management, enabling auth, tokens, and prefix permissions.
// The members issue JWT tokens, which carry the auth revision they were issued at, so a token goes
// stale as soon as users or roles change and renewal can be observed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdClient, EtcdError, WatchError } from '../../core/client/index.js';
import type { EtcdClientOptions } from '../../core/client/index.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';
import { generateJwtKeys } from '../support/tls.js';
import type { JwtKeys } from '../support/tls.js';

/** A running single-member server and the clients made for it. */
interface Target {
  client(overrides?: Partial<EtcdClientOptions>): EtcdClient;
  stop(): Promise<void>;
}

async function startEtcd(flag: string): Promise<Target> {
  const etcd = await EtcdTestCluster.start({ extraArgs: [flag] });
  return { client: (overrides) => etcd.client(overrides), stop: () => etcd.stop() };
}

async function startRafter(flag: string): Promise<Target> {
  const rafter = await RafterCluster.start({ members: 1, extraArgs: [flag] });
  const clients: EtcdClient[] = [];
  return {
    client: (overrides = {}) => {
      const client = new EtcdClient({ endpoints: rafter.endpoints, ...overrides });
      clients.push(client);
      return client;
    },
    stop: async () => {
      for (const client of clients) client.close();
      await rafter.stop();
    },
  };
}

async function failureOf(promise: Promise<unknown>): Promise<EtcdError> {
  const failure = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(EtcdError);
  return failure as EtcdError;
}

for (const [name, start] of [['real etcd', startEtcd], ['Rafter', startRafter]] as const) {
  describe(`Auth against ${name}`, () => {
    let jwtKeys: JwtKeys;
    let etcd: Target;
    let admin: EtcdClient;

    beforeAll(async () => {
      jwtKeys = await generateJwtKeys();
      etcd = await start(jwtKeys.authTokenFlag);
      admin = etcd.client();
    }, 120_000);

    afterAll(async () => {
      await etcd?.stop();
      await jwtKeys?.cleanup();
    });

    it('manages users and roles while authentication is disabled', async () => {
      // etcd 3.4 has no AuthStatus (the client asks Authenticate); Rafter answers it, with the revision.
      expect((await admin.auth.authStatus()).enabled).toBe(false);
      await admin.auth.userAdd('root', 'root-password');
      await admin.auth.roleAdd('root');
      await admin.auth.userGrantRole('root', 'root');
      await admin.auth.roleAdd('app-reader');
      await admin.auth.roleGrantPermission('app-reader', 'readwrite', 'app/', { prefix: true });
      await admin.auth.roleGrantPermission('app-reader', 'read', 'shared');
      await admin.auth.userAdd('alice', 'alice-password');
      await admin.auth.userGrantRole('alice', 'app-reader');

      expect(await admin.auth.userGet('alice')).toEqual(['app-reader']);
      expect((await admin.auth.userList()).sort()).toEqual(['alice', 'root']);
      expect((await admin.auth.roleList()).sort()).toEqual(['app-reader', 'root']);
      const permissions = await admin.auth.roleGet('app-reader');
      expect(permissions.map((perm) => [perm.kind, perm.key.toString(), perm.rangeEnd.toString()])).toEqual([
        ['readwrite', 'app/', 'app0'],
        ['read', 'shared', ''],
      ]);
    });

    it('adds, changes, revokes and deletes users, roles and permissions', async () => {
      await admin.auth.userAdd('temp', 'temp-password');
      await admin.auth.roleAdd('temp-role');
      await admin.auth.roleGrantPermission('temp-role', 'write', 'temp/', { prefix: true });
      await admin.auth.userGrantRole('temp', 'temp-role');
      await admin.auth.userChangePassword('temp', 'other-password');
      await admin.auth.roleRevokePermission('temp-role', 'temp/', { prefix: true });
      expect(await admin.auth.roleGet('temp-role')).toEqual([]);
      await admin.auth.userRevokeRole('temp', 'temp-role');
      expect(await admin.auth.userGet('temp')).toEqual([]);
      await admin.auth.roleDelete('temp-role');
      await admin.auth.userDelete('temp');
      const missing = await failureOf(admin.auth.userGet('temp'));
      expect(missing.message).toBe('etcdserver: user name not found');
      const missingRole = await failureOf(admin.auth.roleGet('temp-role'));
      expect(missingRole.message).toBe('etcdserver: role name not found');
    });

    it('enables authentication, after which anonymous calls are refused', async () => {
      const early = etcd.client({ auth: { username: 'alice', password: 'alice-password' } });
      // While authentication is off, credentials are not needed and calls go through without a token.
      await early.kv.put('app/early', 'before');
      await admin.auth.authEnable();
      const refused = await failureOf(admin.kv.get('app/x'));
      expect(refused.message).toBe('etcdserver: user name is empty');
      // Once the server asks for a user, the client with credentials authenticates and carries on.
      expect((await early.kv.getOne('app/early'))?.valueString).toBe('before');
    });

    it('authenticates root, which may do anything', async () => {
      const root = etcd.client({ auth: { username: 'root', password: 'root-password' } });
      expect((await root.auth.authStatus()).enabled).toBe(true);
      await root.kv.put('app/config', 'v1');
      await root.kv.put('secret', 'hidden');
      expect((await root.kv.getOne('secret'))?.valueString).toBe('hidden');
    });

    it('lets a user read and write its prefix and refuses everything else', async () => {
      const alice = etcd.client({ auth: { username: 'alice', password: 'alice-password' } });
      expect((await alice.kv.getOne('app/config'))?.valueString).toBe('v1');
      await alice.kv.put('app/written-by-alice', 'yes');
      const read = await failureOf(alice.kv.get('secret'));
      expect(read.codeName).toBe('PERMISSION_DENIED');
      expect(read.message).toBe('etcdserver: permission denied');
      const write = await failureOf(alice.kv.put('shared', 'no'));
      expect(write.codeName).toBe('PERMISSION_DENIED');
      const wide = await failureOf(alice.kv.get('app', { prefix: true }));
      expect(wide.message).toBe('etcdserver: permission denied');
      const watchFailure = await alice.watch.watch('secret').catch((error: unknown) => error);
      expect(watchFailure).toBeInstanceOf(WatchError);
      // etcd 3.4 words the cancel reason as a Go gRPC error around its message.
      expect((watchFailure as WatchError).message).toContain('etcdserver: permission denied');
      expect((watchFailure as WatchError).kind).toBe('canceled');
    });

    it('renews a stale token after the auth store changes', async () => {
      const alice = etcd.client({ auth: { username: 'alice', password: 'alice-password' } });
      await alice.kv.get('app/config');
      const root = etcd.client({ auth: { username: 'root', password: 'root-password' } });
      await root.auth.roleGrantPermission('app-reader', 'read', 'extra');
      // Alice's token predates the change; the client obtains a new one and the call succeeds.
      expect((await alice.kv.getOne('extra'))).toBeNull();
      expect((await alice.kv.getOne('app/config'))?.valueString).toBe('v1');
    });

    it('re-creates watches with a fresh token when the stream token went stale', async () => {
      const alice = etcd.client({ auth: { username: 'alice', password: 'alice-password' } });
      const root = etcd.client({ auth: { username: 'root', password: 'root-password' } });
      const first = await alice.watch.watch('app/first');
      await root.auth.roleGrantPermission('app-reader', 'read', 'extra2');
      // The stream's token predates the change, so etcd refuses this watch until the token is renewed.
      const second = await alice.watch.watch('app/second');
      await root.kv.put('app/first', '1');
      await root.kv.put('app/second', '2');
      const firstBatch = await first[Symbol.asyncIterator]().next();
      const secondBatch = await second[Symbol.asyncIterator]().next();
      expect(firstBatch.value?.events.map((event) => event.kv.valueString)).toEqual(['1']);
      expect(secondBatch.value?.events.map((event) => event.kv.valueString)).toEqual(['2']);
    });

    it('reports wrong credentials with etcd message', async () => {
      const intruder = etcd.client({ auth: { username: 'alice', password: 'wrong' } });
      const failure = await failureOf(intruder.kv.get('app/config'));
      expect(failure.message).toBe('etcdserver: authentication failed, invalid user ID or password');
      expect(failure.codeName).toBe('INVALID_ARGUMENT');
    });

    it('disables authentication again as root', async () => {
      const root = etcd.client({ auth: { username: 'root', password: 'root-password' } });
      await root.auth.authDisable();
      expect((await admin.kv.getOne('secret'))?.valueString).toBe('hidden');
      expect((await admin.auth.authStatus()).enabled).toBe(false);
    });
  });
}
