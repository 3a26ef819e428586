// The Auth API by raw gRPC and through the JSON gateway, sent to a 1-member Rafter and a 1-member
// etcd 3.4 side by side: what etcdctl cannot show (a root user without the root role, tokens made
// invalid by a password change or a user's deletion, a user without password, the gateway's
// Authorization header) must come back with the same gRPC code and message, or HTTP status.
import { Client, credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EtcdServiceName } from '../../core/api/proto/load.js';
import { rawUnaryCall, type RawAnswer } from '../support/rawGrpc.js';
import { EtcdTestCluster } from '../support/etcd.js';
import { RafterCluster } from '../support/rafterCluster.js';


interface Side {
  readonly name: string;
  readonly endpoint: string;
  readonly url: string;
  readonly raw: Client;
}

let etcd: EtcdTestCluster;
let rafter: RafterCluster;
let sides: Side[] = [];

beforeAll(async () => {
  [etcd, rafter] = await Promise.all([EtcdTestCluster.start({ members: 1 }), RafterCluster.start({ members: 1 })]);
  const etcdEndpoint = etcd.endpoints[0]!.replace(/^https?:\/\//, '');
  sides = [
    { name: 'etcd', endpoint: etcdEndpoint, url: etcd.endpoints[0]!, raw: new Client(etcdEndpoint, credentials.createInsecure()) },
    { name: 'rafter', endpoint: rafter.endpoints[0]!, url: rafter.members[0]!.clientUrl, raw: new Client(rafter.endpoints[0]!, credentials.createInsecure()) },
  ];
}, 120_000);

afterAll(async () => {
  for (const side of sides) side.raw.close();
  await rafter?.stop();
  await etcd?.stop();
});

type Answer = RawAnswer;

/** One unary call; `token` goes in the `token` metadata as etcdctl sends it. */
function call(side: Side, service: EtcdServiceName, method: string, request: object, token?: string): Promise<Answer> {
  return rawUnaryCall(side.raw, service, method, request, token);
}

const auth = (side: Side, method: string, request: object, token?: string): Promise<Answer> => call(side, 'etcdserverpb.Auth', method, request, token);

/** The same call on both sides; returns both answers with what differs legitimately (headers, tokens) removed. */
async function both(run: (side: Side) => Promise<Answer>): Promise<{ etcd: unknown; rafter: unknown }> {
  const [a, b] = await Promise.all(sides.map(run));
  const strip = (answer: Answer | undefined): unknown => (answer?.ok ? { ok: true } : answer);
  return { etcd: strip(a), rafter: strip(b) };
}

async function tokenOf(side: Side, name: string, password: string): Promise<string> {
  const answer = await auth(side, 'Authenticate', { name, password });
  if (!answer.ok) throw new Error(`${side.name}: authenticate ${name}: ${answer.message}`);
  return String(answer.value['token']);
}

describe('the Auth API side by side with etcd 3.4', () => {
  it('refuses to enable auth while root lacks the root role, and changes nothing', async () => {
    for (const side of sides) {
      expect((await auth(side, 'UserAdd', { name: 'root', password: 'rootpw' })).ok).toBe(true);
    }
    const refused = await both((side) => auth(side, 'AuthEnable', {}));
    expect(refused.rafter).toEqual(refused.etcd);
    expect(refused.rafter).toEqual({ ok: false, code: 9, message: 'etcdserver: root user does not have root role' });
    const read = await both((side) => call(side, 'etcdserverpb.KV', 'Range', { key: Buffer.from('x') }));
    expect(read.rafter).toEqual({ ok: true });
    expect(read.etcd).toEqual({ ok: true });
  });

  it('enables auth once root has the root role', async () => {
    for (const side of sides) {
      expect((await auth(side, 'RoleAdd', { name: 'root' })).ok).toBe(true);
      expect((await auth(side, 'UserGrantRole', { user: 'root', role: 'root' })).ok).toBe(true);
      expect((await auth(side, 'UserAdd', { name: 'carol', password: 'carolpw' })).ok).toBe(true);
      expect((await auth(side, 'UserAdd', { name: 'dave', password: 'davepw' })).ok).toBe(true);
      expect((await auth(side, 'UserAdd', { name: 'certonly', options: { no_password: true } })).ok).toBe(true);
    }
    const enabled = await both((side) => auth(side, 'AuthEnable', {}));
    expect(enabled.rafter).toEqual({ ok: true });
    expect(enabled.etcd).toEqual({ ok: true });
    // Rafter's log inspector answers anyone on the client port: with auth on it names no user or key.
    const entries = (await (await fetch(`${sides[1]!.url}/rafter/v1/raft/entries`)).json()) as { entries: { description: string }[] };
    const descriptions = entries.entries.map((e) => e.description).join('\n');
    expect(descriptions).toContain('auth userAdd');
    expect(descriptions).not.toContain('carol');
  });

  it('answers an unknown token, a garbled one and a call without any as etcd does', async () => {
    // (A well-formed token naming a Raft index not reached yet makes etcd wait for that index until
    // the call's deadline; Rafter waits as long as a request may take, then calls it invalid.)
    for (const token of ['garbage', 'abc.def', '']) {
      const answer = await both((side) => call(side, 'etcdserverpb.KV', 'Range', { key: Buffer.from('x') }, token));
      expect(answer.rafter, `token ${JSON.stringify(token)}`).toEqual(answer.etcd);
    }
    const none = await both((side) => call(side, 'etcdserverpb.KV', 'Range', { key: Buffer.from('x') }));
    expect(none.rafter).toEqual(none.etcd);
    expect(none.rafter).toEqual({ ok: false, code: 3, message: 'etcdserver: user name is empty' });
  });

  it('invalidates a token when its user changes password or is deleted', async () => {
    const tokens = await Promise.all(sides.map(async (side) => ({ carol: await tokenOf(side, 'carol', 'carolpw'), dave: await tokenOf(side, 'dave', 'davepw'), root: await tokenOf(side, 'root', 'rootpw') })));
    const before = await both((side) => auth(side, 'UserGet', { name: 'carol' }, tokens[sides.indexOf(side)]!.carol));
    expect(before.rafter).toEqual(before.etcd);
    for (const [i, side] of sides.entries()) {
      expect((await auth(side, 'UserChangePassword', { name: 'carol', password: 'newpw' }, tokens[i]!.root)).ok).toBe(true);
      expect((await auth(side, 'UserDelete', { name: 'dave' }, tokens[i]!.root)).ok).toBe(true);
    }
    for (const who of ['carol', 'dave'] as const) {
      const stale = await both((side) => auth(side, 'UserGet', { name: who }, tokens[sides.indexOf(side)]![who]));
      expect(stale.rafter, who).toEqual(stale.etcd);
      expect(stale.rafter).toEqual({ ok: false, code: 16, message: 'etcdserver: invalid auth token' });
    }
    const oldPassword = await both((side) => auth(side, 'Authenticate', { name: 'carol', password: 'carolpw' }));
    expect(oldPassword.rafter).toEqual(oldPassword.etcd);
    expect((await Promise.all(sides.map((side) => tokenOf(side, 'carol', 'newpw')))).length).toBe(2);
  });

  it('refuses a password for a user added without one, as etcd does', async () => {
    const answer = await both((side) => auth(side, 'Authenticate', { name: 'certonly', password: 'x' }));
    expect(answer.rafter).toEqual(answer.etcd);
  });

  it('answers user and role reads by a non-root user as etcd does (own user and own roles only)', async () => {
    for (const side of sides) {
      const root = await tokenOf(side, 'root', 'rootpw');
      expect((await auth(side, 'RoleAdd', { name: 'viewer' }, root)).ok).toBe(true);
      expect((await auth(side, 'UserGrantRole', { user: 'carol', role: 'viewer' }, root)).ok).toBe(true);
    }
    const carol = await Promise.all(sides.map((side) => tokenOf(side, 'carol', 'newpw')));
    const requests: [string, object][] = [
      ['UserGet', { name: 'carol' }], ['UserGet', { name: 'root' }], ['RoleGet', { role: 'viewer' }], ['RoleGet', { role: 'root' }],
      ['UserList', {}], ['RoleList', {}], ['UserAdd', { name: 'x', password: 'y' }], ['AuthDisable', {}],
    ];
    for (const [method, request] of requests) {
      const answer = await both((side) => auth(side, method, request, carol[sides.indexOf(side)]));
      expect(answer.rafter, method).toEqual(answer.etcd);
    }
    const maintenance: [EtcdServiceName, string][] = [['etcdserverpb.Maintenance', 'Hash'], ['etcdserverpb.Maintenance', 'HashKV'], ['etcdserverpb.Cluster', 'MemberList']];
    for (const [service, method] of maintenance) {
      const answer = await both((side) => call(side, service, method, {}, carol[sides.indexOf(side)]));
      expect(answer.rafter, method).toEqual(answer.etcd);
    }
  });

  it("guards Status, Compact and MemberList as etcd's current releases do (etcd 3.4.23 let them through)", async () => {
    const carol = await Promise.all(sides.map((side) => tokenOf(side, 'carol', 'newpw')));
    const rafterSide = sides[1]!;
    const denied = { ok: false, code: 7, message: 'etcdserver: permission denied' };
    expect(await call(rafterSide, 'etcdserverpb.Maintenance', 'Status', {}, carol[1])).toEqual(denied);
    expect(await call(rafterSide, 'etcdserverpb.KV', 'Compact', { revision: '1' }, carol[1])).toEqual(denied);
    expect(await call(rafterSide, 'etcdserverpb.Cluster', 'MemberList', {})).toEqual({ ok: false, code: 3, message: 'etcdserver: user name is empty' });
    const etcdSide = sides[0]!;
    expect((await call(etcdSide, 'etcdserverpb.Maintenance', 'Status', {}, carol[0])).ok).toBe(true);
    expect((await call(etcdSide, 'etcdserverpb.Cluster', 'MemberList', {})).ok).toBe(true);
  });

  it("takes the JSON gateway's Authorization header as the token", async () => {
    const answers = await Promise.all(
      sides.map(async (side) => {
        const post = (path: string, body: object, token?: string): Promise<Response> =>
          fetch(`${side.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: token === undefined ? {} : { authorization: token } });
        const authenticated = (await (await post('/v3/auth/authenticate', { name: 'root', password: 'rootpw' })).json()) as { token: string };
        const withToken = await post('/v3/kv/put', { key: Buffer.from('gw').toString('base64'), value: Buffer.from('v').toString('base64') }, authenticated.token);
        const withoutToken = await post('/v3/kv/range', { key: Buffer.from('gw').toString('base64') });
        const badToken = await post('/v3/kv/range', { key: Buffer.from('gw').toString('base64') }, 'nonsense.1');
        const withoutBody = (await withoutToken.json()) as { error?: string; message?: string; code: number };
        const badBody = (await badToken.json()) as { error?: string; message?: string; code: number };
        return {
          put: withToken.status,
          without: [withoutToken.status, withoutBody.code, withoutBody.message ?? withoutBody.error],
          bad: [badToken.status, badBody.code, badBody.message ?? badBody.error],
        };
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]!.put).toBe(200);
  });

  it('takes the gateway watch stream\'s Authorization header as the token', async () => {
    const firstLine = async (side: Side, token: string): Promise<unknown> => {
      const controller = new AbortController();
      const response = await fetch(`${side.url}/v3/watch`, {
        method: 'POST', signal: controller.signal, headers: { authorization: token },
        body: JSON.stringify({ create_request: { key: Buffer.from('gw').toString('base64') } }),
      });
      const reader = response.body!.getReader();
      let text = '';
      while (!text.includes('\n')) {
        const chunk = await reader.read();
        if (chunk.done) break;
        text += Buffer.from(chunk.value).toString('utf8');
      }
      controller.abort();
      const { result } = JSON.parse(text.slice(0, text.indexOf('\n'))) as { result: Record<string, unknown> };
      return { created: result['created'], canceled: result['canceled'] ?? false, cancel_reason: result['cancel_reason'] ?? '' };
    };
    for (const [user, password] of [['root', 'rootpw'], ['carol', 'newpw']] as const) {
      const [etcdLine, rafterLine] = await Promise.all(sides.map(async (side) => firstLine(side, await tokenOf(side, user, password))));
      expect(rafterLine, user).toEqual(etcdLine);
      expect(rafterLine, user).toMatchObject({ created: true, canceled: user === 'carol' });
    }
  });

  it('disables auth as root, after which anonymous calls work again', async () => {
    const answer = await both(async (side) => auth(side, 'AuthDisable', {}, await tokenOf(side, 'root', 'rootpw')));
    expect(answer.rafter).toEqual({ ok: true });
    expect(answer.etcd).toEqual({ ok: true });
    const read = await both((side) => call(side, 'etcdserverpb.KV', 'Range', { key: Buffer.from('gw') }));
    expect(read.rafter).toEqual({ ok: true });
  });
});
