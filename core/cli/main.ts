#!/usr/bin/env node
// `rafter`: runs one member with etcd's flags, ETCD_* variables or config file (see flags.ts), a
// snapshot subcommand, --version or --help. Errors an operator can fix are printed as one line,
// without a stack.
import inspector from 'node:inspector';
import { collectFlagValues, FlagError, helpText, parseBoolean, parseMemberConfig, unimplementedFlagWarnings, unknownEnvironmentVariables } from './flags.js';
import { createLog, openLogOutputs, type LoggerFormat } from './memberLog.js';
import { Member, etcdApiVersion, rafterVersion, type LogLevel } from '../server/member.js';
import { DataDirError } from '../server/dataDir.js';
import { snapshotCommand } from './snapshotCommand.js';

function oneLine(error: unknown): string {
  if (error instanceof FlagError || error instanceof DataDirError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const e = error as NodeJS.ErrnoException & { address?: string; port?: number };
    return `address ${e.address ?? ''}:${e.port ?? ''} is already in use`;
  }
  if (code === 'EACCES') return `permission denied: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

/** `rafter --version`, in the layout of `etcd --version`. */
function versionText(): string {
  return [`Rafter Version: ${rafterVersion}`, `etcd API Version: ${etcdApiVersion}`, `Node Version: ${process.version}`, `Node OS/Arch: ${process.platform}/${process.arch}`].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'snapshot') return snapshotCommand(argv.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  if (argv.includes('--version') || argv.includes('-version')) {
    process.stdout.write(`${versionText()}\n`);
    return 0;
  }
  const { values, ignoredConfigKeys } = collectFlagValues(argv, process.env);
  const config = parseMemberConfig(argv, process.env);
  const format = (values.get('logger') ?? 'capnslog') as LoggerFormat;
  if (format !== 'zap' && format !== 'capnslog') throw new FlagError(`invalid value "${String(format)}" for --logger: want zap or capnslog`);
  const write = createLog(format, config.name, config.logLevel, openLogOutputs(values.get('log-outputs') ?? 'default'));
  const cliLog = (level: LogLevel, msg: string, fields?: Record<string, unknown>): void => write({ level, caller: 'cli/main', msg, ...(fields ? { fields } : {}) });
  const configFile = values.get('config-file');
  if (configFile !== undefined) {
    cliLog('info', 'loaded server configuration, other configuration command line flags and environment variables will be ignored if provided', { path: configFile });
    for (const key of ignoredConfigKeys) cliLog('warn', `config file key "${key}" is no etcd flag Rafter knows; ignored`, { path: configFile });
  }
  for (const warning of unimplementedFlagWarnings(values)) cliLog('warn', warning);
  for (const name of unknownEnvironmentVariables(process.env)) cliLog('warn', `unrecognized environment variable ${name}; ignored`);
  if (config.unsafeNoFsync) cliLog('warn', 'UNSAFE: --unsafe-no-fsync is set: nothing is flushed to disk, and a power loss will lose acknowledged writes');
  if (parseBoolean('enable-pprof', values.get('enable-pprof') ?? 'false')) {
    // etcd serves Go's pprof; Node's equivalent is the inspector (CPU and heap profiles in Chrome DevTools).
    inspector.open(0, '127.0.0.1');
    cliLog('info', 'profiling: the Node inspector is open (chrome://inspect, or a DevTools URL)', { url: inspector.url() });
  }
  const member = await Member.start({ config, log: (level, msg) => write({ level, caller: 'server/member', msg }), unsafeNoFsync: config.unsafeNoFsync });
  cliLog('info', `ready to serve client requests on ${member.clientUrls.join(',')} (peer port ${member.peerPort})`);
  if (member.metricsUrls.length > 0) cliLog('info', `serving /metrics and /health on ${member.metricsUrls.join(',')}`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    cliLog('info', `received ${signal}, shutting down`);
    void member.stop('signal');
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const reason = await member.whenStopped();
  cliLog('info', `stopped (${reason})`);
  inspector.close();
  return reason === 'signal' || reason === 'shutdown' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rafter: ${oneLine(error)}\n`);
    process.exit(error instanceof FlagError ? 2 : 1);
  },
);
