// Reads etcd's YAML configuration file (`--config-file`) into flag values, so an etcd 3.4 or 3.5
// config file starts a Rafter member unchanged. Keys are etcd's flag names; the two TLS sections
// (`client-transport-security`, `peer-transport-security`: cert-file, key-file, client-cert-auth,
// trusted-ca-file, auto-tls, and 3.5's client-cert-file, client-key-file) hold the TLS flags without
// (resp. with) their `peer-` prefix; lists become comma-separated values; an empty value means "not set".
// Keys that are no etcd flag are reported back (etcd ignores them silently). What the values mean
// is left to flags.ts.
import fs from 'node:fs';
import { load as loadYaml } from 'js-yaml';

/** Largest config file read; etcd's are a few kilobytes. */
export const configFileBytesMax = 1024 * 1024;

export interface ConfigFileValues {
  /** Flag name → value, as they would be written on the command line. */
  readonly values: Map<string, string>;
  /** Keys that name no flag Rafter knows; ignored. */
  readonly unknownKeys: string[];
}

/** A problem with the config file itself; the caller turns it into its own error type. */
export class ConfigFileError extends Error {
  override readonly name = 'ConfigFileError';
}

function scalar(key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const parts = value.map((item) => scalar(key, item)).filter((item): item is string => item !== null);
    return parts.length === 0 ? null : parts.join(',');
  }
  throw new ConfigFileError(`config file key "${key}" has a value of the wrong type`);
}

/** Parses a config file's text; `isKnown` says whether a flag name exists. */
export function parseConfigFile(text: string, isKnown: (flag: string) => boolean): ConfigFileValues {
  let document: unknown;
  try {
    document = loadYaml(text);
  } catch (error) {
    throw new ConfigFileError(`config file is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (document === null || document === undefined) return { values: new Map(), unknownKeys: [] };
  if (typeof document !== 'object' || Array.isArray(document)) throw new ConfigFileError('config file must be a YAML mapping of etcd flag names to values');
  const values = new Map<string, string>();
  const unknownKeys: string[] = [];
  const set = (flag: string, key: string, value: unknown): void => {
    if (!isKnown(flag)) {
      unknownKeys.push(key);
      return;
    }
    const text = scalar(key, value);
    if (text !== null) values.set(flag, text);
  };
  for (const [key, value] of Object.entries(document as Record<string, unknown>)) {
    if (key === 'client-transport-security' || key === 'peer-transport-security') {
      if (value === null || value === undefined) continue;
      if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigFileError(`config file key "${key}" must be a mapping`);
      const prefix = key === 'peer-transport-security' ? 'peer-' : '';
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) set(`${prefix}${inner}`, `${key}.${inner}`, innerValue);
    } else {
      set(key, key, value);
    }
  }
  return { values, unknownKeys };
}

/** Reads and parses a config file; throws ConfigFileError naming the file on any problem. */
export function readConfigFile(file: string, isKnown: (flag: string) => boolean): ConfigFileValues {
  let text: string;
  try {
    const size = fs.statSync(file).size;
    if (size > configFileBytesMax) throw new ConfigFileError(`config file ${file} is ${size} bytes; more than ${configFileBytesMax} is not a config file`);
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigFileError) throw error;
    throw new ConfigFileError(`cannot read config file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    return parseConfigFile(text, isKnown);
  } catch (error) {
    throw new ConfigFileError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
