// Loads etcd's v3 .proto files (this directory) once with @grpc/proto-loader and exposes the
// service definitions both a gRPC server and a client use. It owns the decoding conventions; the
// message shapes they produce are typed in messages.ts and adminMessages.ts.
//
// Conventions (identical on the server and the client, so both see the same objects):
// - field names are kept exactly as in the .proto files (`range_end`, `TTL`, `peerURLs`), which is
//   also what etcd's JSON gateway uses;
// - 64-bit integers decode as decimal strings (never lossy numbers); on input a number or a decimal
//   string is accepted;
// - bytes decode as Buffer; on input pass a Uint8Array (a string would be read as base64);
// - enums decode as their names (`'PUT'`, `'DESCEND'`); on input a name or a number is accepted;
// - defaults are filled in (0 → '0', '' and empty Buffers, `false`, `[]`; unset messages are null);
// - a oneof also sets a virtual field naming the member that is set (`request_union: 'create_request'`).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protoLoader from '@grpc/proto-loader';
import type { MethodDefinition, PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { assert } from '../../raft/assert.js';

/** The directory holding the .proto files. They are read at run time; ship them with the code. */
export const protoDirectory = path.dirname(fileURLToPath(import.meta.url));

/** The .proto files, relative to protoDirectory. */
export const protoFiles = ['rpc.proto', 'kv.proto', 'auth.proto', 'v3lock.proto', 'v3election.proto'];

/** The options every loader of these files must use (see the header for what they mean). */
export const protoLoaderOptions: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  arrays: true,
  includeDirs: [protoDirectory],
};

/** Fully qualified names of the etcd services, which are also the gRPC path prefixes. */
export type EtcdServiceName =
  | 'etcdserverpb.KV'
  | 'etcdserverpb.Watch'
  | 'etcdserverpb.Lease'
  | 'etcdserverpb.Cluster'
  | 'etcdserverpb.Maintenance'
  | 'etcdserverpb.Auth'
  | 'v3lockpb.Lock'
  | 'v3electionpb.Election';

/** Every etcd service name, in a stable order. */
export const etcdServiceNames: readonly EtcdServiceName[] = [
  'etcdserverpb.KV',
  'etcdserverpb.Watch',
  'etcdserverpb.Lease',
  'etcdserverpb.Cluster',
  'etcdserverpb.Maintenance',
  'etcdserverpb.Auth',
  'v3lockpb.Lock',
  'v3electionpb.Election',
];

let loaded: PackageDefinition | undefined;

/** The package definition of all etcd protos, loaded on first use and cached. */
export function etcdPackageDefinition(): PackageDefinition {
  loaded ??= protoLoader.loadSync(protoFiles, protoLoaderOptions);
  return loaded;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  return typeof value === 'object' && value !== null && !('format' in value);
}

/**
 * The service definition of `name`, ready for grpc-js `Server.addService` or for building method
 * calls on a `grpc.Client`.
 */
export function serviceDefinition(name: EtcdServiceName): ServiceDefinition {
  const definition = etcdPackageDefinition()[name];
  assert(definition !== undefined, `service ${name} is defined in the protos`);
  assert(isServiceDefinition(definition), `${name} is a service, not a message`);
  return definition;
}

/** One method of an etcd service: its gRPC path, streaming flags and (de)serializers. */
export function methodDefinition(
  service: EtcdServiceName,
  method: string,
): MethodDefinition<object, object> {
  const definition = serviceDefinition(service)[method];
  assert(definition !== undefined, `method ${service}/${method} is defined in the protos`);
  return definition;
}
