// Turning the connection form's fields into a ConnectionConfig, with messages for each mistake.
import type { ConnectionConfig, EditableConnection, SshConfig } from './contract';

export interface ConnectionFields {
  name: string;
  endpoints: string;
  tlsEnabled: boolean;
  caPem: string;
  certPem: string;
  keyPem: string;
  skipVerify: boolean;
  username: string;
  password: string;
  rememberPassword: boolean;
  /** Go through an SSH host (bastion). */
  sshEnabled: boolean;
  sshHost: string;
  sshPort: string;
  sshUsername: string;
  sshAuth: 'password' | 'key';
  sshPassword: string;
  sshKeyPem: string;
  sshPassphrase: string;
  /** The pinned host key fingerprint; empty: learned on the next connection. */
  sshHostKey: string;
}

export type FieldErrors = Partial<Record<keyof ConnectionFields, string>>;

const endpointPattern = /^(https?:\/\/)?[A-Za-z0-9.\-[\]:]+:[0-9]{1,5}\/?$/;

export function emptyConnectionFields(): ConnectionFields {
  return {
    name: '',
    endpoints: '127.0.0.1:2379',
    tlsEnabled: false,
    caPem: '',
    certPem: '',
    keyPem: '',
    skipVerify: false,
    username: '',
    password: '',
    rememberPassword: false,
    sshEnabled: false,
    sshHost: '',
    sshPort: '22',
    sshUsername: '',
    sshAuth: 'key',
    sshPassword: '',
    sshKeyPem: '',
    sshPassphrase: '',
    sshHostKey: '',
  };
}

const sshHostPattern = /^[A-Za-z0-9.\-[\]:]+$/;

/** The SSH settings the fields describe (`keptSecrets`: the saved password or key stays), recording mistakes in `errors`. */
function buildSsh(fields: ConnectionFields, keptSecrets: boolean, errors: FieldErrors): SshConfig | null {
  const host = fields.sshHost.trim();
  if (!sshHostPattern.test(host)) errors.sshHost = 'Give the SSH host’s name or address.';
  const port = Number(fields.sshPort.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) errors.sshPort = 'The SSH port is between 1 and 65535.';
  const username = fields.sshUsername.trim();
  if (username === '') errors.sshUsername = 'Give the user to log in to the SSH host as.';
  const secret = fields.sshAuth === 'password' ? fields.sshPassword : fields.sshKeyPem.trim();
  if (secret === '' && !keptSecrets) {
    if (fields.sshAuth === 'password') errors.sshPassword = 'Give the SSH password.';
    else errors.sshKeyPem = 'Paste or read the private key (OpenSSH or PEM).';
  }
  const ssh: SshConfig = { host, port, username };
  if (fields.sshAuth === 'password' && fields.sshPassword !== '') ssh.password = fields.sshPassword;
  if (fields.sshAuth === 'key' && fields.sshKeyPem.trim() !== '') {
    ssh.privateKeyPem = fields.sshKeyPem;
    if (fields.sshPassphrase !== '') ssh.passphrase = fields.sshPassphrase;
  }
  if (fields.sshHostKey.trim() !== '') ssh.hostKeySha256 = fields.sshHostKey.trim();
  return ssh;
}

/** The config the fields describe, or the errors to show beside each field. */
export function buildConnectionConfig(fields: ConnectionFields, keptClientKey = false, keptSshSecrets = false): { config: ConnectionConfig } | { errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = fields.name.trim();
  if (name === '') errors.name = 'Give the connection a name.';
  const endpoints = fields.endpoints.split(/[\s,]+/).filter((endpoint) => endpoint !== '');
  if (endpoints.length === 0) errors.endpoints = 'List at least one endpoint, such as 127.0.0.1:2379.';
  const bad = endpoints.find((endpoint) => !endpointPattern.test(endpoint));
  if (bad !== undefined) errors.endpoints = `"${bad}" is not host:port or http(s)://host:port.`;
  const badPort = endpoints.map((endpoint) => Number(/:(\d+)\/?$/.exec(endpoint)?.[1] ?? '0')).find((port) => port < 1 || port > 65535);
  if (bad === undefined && badPort !== undefined) errors.endpoints = 'Ports must be between 1 and 65535.';
  const hasKey = fields.keyPem.trim() !== '' || keptClientKey;
  if (fields.tlsEnabled && (fields.certPem.trim() === '') === hasKey) {
    errors.keyPem = 'A client certificate needs its key, and a key needs its certificate.';
  }
  if (fields.password !== '' && fields.username.trim() === '') errors.username = 'A password needs a user name.';
  const ssh = fields.sshEnabled ? buildSsh(fields, keptSshSecrets, errors) : null;
  if (Object.keys(errors).length > 0) return { errors };
  const config: ConnectionConfig = { name, endpoints };
  if (fields.tlsEnabled) {
    config.tls = { skipVerify: fields.skipVerify };
    if (fields.caPem.trim() !== '') config.tls.caPem = fields.caPem;
    if (fields.certPem.trim() !== '') config.tls.certPem = fields.certPem;
    if (fields.keyPem.trim() !== '') config.tls.keyPem = fields.keyPem;
  }
  if (fields.username.trim() !== '') config.username = fields.username.trim();
  if (fields.password !== '' || (ssh !== null && sshSecretGiven(ssh))) {
    if (fields.password !== '') config.password = fields.password;
    if (fields.rememberPassword) config.rememberPassword = true;
  }
  if (ssh) config.ssh = ssh;
  return { config };
}

/** The form's fields for editing a saved connection (its secrets stay with the service). */
export function fieldsFromConnection(editable: EditableConnection): ConnectionFields {
  const { config } = editable;
  return {
    ...emptyConnectionFields(),
    name: config.name,
    endpoints: config.endpoints.join(', '),
    tlsEnabled: config.tls !== undefined,
    caPem: config.tls?.caPem ?? '',
    certPem: config.tls?.certPem ?? '',
    skipVerify: config.tls?.skipVerify ?? false,
    username: config.username ?? '',
    sshEnabled: config.ssh !== undefined,
    sshHost: config.ssh?.host ?? '',
    sshPort: String(config.ssh?.port ?? 22),
    sshUsername: config.ssh?.username ?? '',
    sshAuth: editable.hasSshPassword ? 'password' : 'key',
    sshHostKey: config.ssh?.hostKeySha256 ?? '',
  };
}

function sshSecretGiven(ssh: SshConfig): boolean {
  return ssh.password !== undefined || ssh.privateKeyPem !== undefined;
}
