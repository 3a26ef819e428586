// The connection form's fields to a ConnectionConfig: the SSH host's settings, their mistakes in
// words, and the secrets kept from a saved connection.
import { describe, expect, it } from 'vitest';
import { buildConnectionConfig, emptyConnectionFields, fieldsFromConnection } from '../../renderer/connectionForm';
import type { ConnectionFields } from '../../renderer/connectionForm';

function fields(extra: Partial<ConnectionFields>): ConnectionFields {
  return { ...emptyConnectionFields(), name: 'behind bastion', endpoints: '10.0.0.5:2379', sshEnabled: true, sshHost: 'bastion.example.com', sshUsername: 'ops', ...extra };
}

describe('the connection form with an SSH host', () => {
  it('builds the SSH settings with a private key and passphrase, remembered when asked', () => {
    const built = buildConnectionConfig(fields({ sshKeyPem: 'KEY', sshPassphrase: 'pass', rememberPassword: true }));
    expect(built).toEqual({
      config: { name: 'behind bastion', endpoints: ['10.0.0.5:2379'], rememberPassword: true, ssh: { host: 'bastion.example.com', port: 22, username: 'ops', privateKeyPem: 'KEY', passphrase: 'pass' } },
    });
  });

  it('builds a password login and keeps a pinned host key', () => {
    const built = buildConnectionConfig(fields({ sshAuth: 'password', sshPassword: 'secret', sshPort: '2222', sshHostKey: 'SHA256:abc' }));
    expect(built).toMatchObject({ config: { ssh: { host: 'bastion.example.com', port: 2222, username: 'ops', password: 'secret', hostKeySha256: 'SHA256:abc' } } });
  });

  it('says what is missing or wrong beside each SSH field', () => {
    const built = buildConnectionConfig(fields({ sshHost: '', sshPort: '70000', sshUsername: ' ' }));
    expect(built).toEqual({
      errors: {
        sshHost: 'Give the SSH host’s name or address.',
        sshPort: 'The SSH port is between 1 and 65535.',
        sshUsername: 'Give the user to log in to the SSH host as.',
        sshKeyPem: 'Paste or read the private key (OpenSSH or PEM).',
      },
    });
  });

  it('accepts no new secret when the saved one is kept, and fills the fields from a saved connection', () => {
    expect(buildConnectionConfig(fields({}), false, true)).toMatchObject({ config: { ssh: { host: 'bastion.example.com', port: 22, username: 'ops' } } });
    const edited = fieldsFromConnection({
      config: { name: 'n', endpoints: ['a:1'], ssh: { host: 'h', port: 2200, username: 'u', hostKeySha256: 'SHA256:x' } },
      hasPassword: false,
      hasClientKey: false,
      hasSshPassword: true,
      hasSshKey: false,
    });
    expect(edited).toMatchObject({ sshEnabled: true, sshHost: 'h', sshPort: '2200', sshUsername: 'u', sshAuth: 'password', sshHostKey: 'SHA256:x', sshPassword: '' });
  });
});
