// Writes renderer/kubernetesSchema.ts, the field table the console uses to decode Kubernetes
// protobuf objects, from Kubernetes' own generated.proto files. It keeps only the messages the
// listed kinds reach, so the renderer ships a compact table instead of the whole API.
//
//   npx tsx scripts/generateKubernetesSchema.ts PROTO_ROOT 'api COMMIT' 'apimachinery COMMIT'
//
// PROTO_ROOT holds k8s.io/api/… and k8s.io/apimachinery/… as in a Go module cache (the
// checkouts of kubernetes/api and kubernetes/apimachinery). The two labels are written into the
// file's header so a reader knows which release the field numbers come from.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/** The kinds whose storage messages the console decodes by name: [group/version, kind, proto package]. */
export const rootKinds: ReadonlyArray<readonly [string, string, string]> = [
  ['v1', 'Namespace', 'k8s.io.api.core.v1'],
  ['v1', 'ConfigMap', 'k8s.io.api.core.v1'],
  ['v1', 'Secret', 'k8s.io.api.core.v1'],
  ['v1', 'Service', 'k8s.io.api.core.v1'],
  ['v1', 'Pod', 'k8s.io.api.core.v1'],
  ['v1', 'Endpoints', 'k8s.io.api.core.v1'],
  ['v1', 'ServiceAccount', 'k8s.io.api.core.v1'],
  ['v1', 'Node', 'k8s.io.api.core.v1'],
  ['v1', 'Event', 'k8s.io.api.core.v1'],
  ['coordination.k8s.io/v1', 'Lease', 'k8s.io.api.coordination.v1'],
  ['apps/v1', 'Deployment', 'k8s.io.api.apps.v1'],
  ['apps/v1', 'ReplicaSet', 'k8s.io.api.apps.v1'],
];

/** Short names for the packages, so the table stays small and readable. */
const packageAliases: Record<string, string> = {
  'k8s.io.api.core.v1': 'core.v1',
  'k8s.io.api.apps.v1': 'apps.v1',
  'k8s.io.api.coordination.v1': 'coordination.v1',
  'k8s.io.apimachinery.pkg.apis.meta.v1': 'meta.v1',
  'k8s.io.apimachinery.pkg.runtime': 'runtime',
  'k8s.io.apimachinery.pkg.runtime.schema': 'schema',
  'k8s.io.apimachinery.pkg.api.resource': 'resource',
  'k8s.io.apimachinery.pkg.util.intstr': 'intstr',
};

/**
 * Messages left out on purpose: the decoder shows their fields in the generic dump. The volume
 * sources and scheduling rules of a pod are many dozens of messages that a compact table skips.
 */
const leftOut = new Set([
  'core.v1.Volume',
  'core.v1.Affinity',
  'core.v1.EphemeralContainer',
  'core.v1.PodSecurityContext',
  'core.v1.SecurityContext',
  'core.v1.Probe',
  'core.v1.Lifecycle',
  'core.v1.TopologySpreadConstraint',
  'core.v1.PodResourceClaim',
  'core.v1.PodResourceClaimStatus',
  'core.v1.PodSchedulingGate',
  'core.v1.PodOS',
  'core.v1.PodDNSConfig',
  'core.v1.PodReadinessGate',
  'core.v1.HostAlias',
  'core.v1.ResourceClaim',
  'core.v1.VolumeDevice',
  'core.v1.ContainerResizePolicy',
  'core.v1.ContainerRestartRule',
  'core.v1.NodeConfigStatus',
  'core.v1.NodeConfigSource',
  'core.v1.NodeFeatures',
  'core.v1.NodeRuntimeHandler',
  'core.v1.NodeSwapStatus',
  'core.v1.AttachedVolume',
  'core.v1.ContainerImage',
  'core.v1.PersistentVolumeClaimTemplate',
  'core.v1.ResourceHealth',
  'core.v1.ResourceStatus',
  'core.v1.ContainerExtendedResourceRequest',
  'core.v1.PodExtendedResourceClaimStatus',
  'meta.v1.ManagedFieldsEntry',
]);

const scalarCodes: Record<string, string> = {
  string: 's', bytes: 'b', bool: 'B', int32: 'i', int64: 'l', uint32: 'u', uint64: 'U', double: 'd', float: 'f',
};

function alias(fullName: string): string {
  const name = fullName.replace(/^\./, '');
  const dot = name.lastIndexOf('.');
  const pkg = name.slice(0, dot);
  const short = packageAliases[pkg];
  if (short === undefined) throw new Error(`no alias for package ${pkg} (${name})`);
  return `${short}.${name.slice(dot + 1)}`;
}

function typeCode(field: protobuf.Field, queue: protobuf.Type[]): string {
  const scalar = scalarCodes[field.type];
  if (scalar !== undefined) return scalar;
  const resolved = field.resolvedType;
  if (!(resolved instanceof protobuf.Type)) throw new Error(`field ${field.fullName} has type ${field.type}`);
  queue.push(resolved);
  return alias(resolved.fullName);
}

function main(): void {
  const [protoRoot, apiLabel, machineryLabel] = process.argv.slice(2);
  if (!protoRoot || !apiLabel || !machineryLabel) throw new Error('usage: generateKubernetesSchema.ts PROTO_ROOT API_LABEL APIMACHINERY_LABEL');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoRoot, target));
  const files = ['core/v1', 'apps/v1', 'coordination/v1'].map((dir) => `k8s.io/api/${dir}/generated.proto`);
  root.loadSync([...files, 'k8s.io/apimachinery/pkg/runtime/generated.proto'], { keepCase: true });
  root.resolveAll();

  const queue = rootKinds.map(([, kind, pkg]) => root.lookupType(`${pkg}.${kind}`));
  queue.push(root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown'));
  const table = new Map<string, string>();
  while (queue.length > 0) {
    const type = queue.shift()!;
    const name = alias(type.fullName);
    if (table.has(name) || leftOut.has(name)) continue;
    const fields = type.fieldsArray
      .slice()
      .sort((a, b) => a.id - b.id)
      .map((field) => {
        if (field instanceof protobuf.MapField) {
          const valueCode = scalarCodes[field.type] ?? (queue.push(field.resolvedType as protobuf.Type), alias(field.resolvedType!.fullName));
          return `${field.id} ${field.name} {${scalarCodes[field.keyType] ?? field.keyType}:${valueCode}}`;
        }
        return `${field.id} ${field.name} ${typeCode(field, queue)}${field.repeated ? '*' : ''}`;
      });
    table.set(name, fields.join(','));
  }

  const kinds = rootKinds.map(([apiVersion, kind, pkg]) => `  '${apiVersion}/${kind}': '${alias(`${pkg}.${kind}`)}',`);
  const messages = [...table.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, fields]) => `  '${name}': '${fields}',`);
  const output = `// Generated by scripts/generateKubernetesSchema.ts from Kubernetes' generated.proto files
// (kubernetes/api ${apiLabel}; kubernetes/apimachinery ${machineryLabel}). Do not edit by hand.
//
// Each message is a list of fields \`NUMBER NAME TYPE\`: TYPE is a scalar code (s string, b bytes,
// B bool, i int32, l int64, u uint32, U uint64, d double, f float), a message name, or {KEY:VALUE}
// for a map; a trailing * marks a repeated field. Messages not listed are shown as a generic dump.

/** The message of each stored kind, by \`apiVersion/kind\`. */
export const kubernetesKinds: Readonly<Record<string, string>> = {
${kinds.join('\n')}
};

/** The fields of each message the decoder knows. */
export const kubernetesMessages: Readonly<Record<string, string>> = {
${messages.join('\n')}
};
`;
  const target = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'renderer', 'kubernetesSchema.ts');
  writeFileSync(target, output);
  console.log(`wrote ${table.size} messages, ${output.length} characters, to ${target}`);
}

main();
