#!/usr/bin/env node
// `rafter`: runs one member with etcd's flags (see flags.ts), or a snapshot subcommand. Errors an
// operator can fix are printed as one line, without a stack.
import { FlagError, helpText, parseMemberConfig } from './flags.js';
import { Member, type LogLevel } from '../server/member.js';
import { DataDirError } from '../server/dataDir.js';
import { snapshotCommand } from './snapshotCommand.js';
import { grpcProxyCommand } from '../proxy/grpcProxyCommand.js';

const levels: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

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

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'snapshot') return snapshotCommand(argv.slice(1));
  if (argv[0] === 'grpc-proxy') return grpcProxyCommand(argv.slice(1));
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText()}\n`);
    return 0;
  }
  const config = parseMemberConfig(argv, process.env);
  const threshold = levels[config.logLevel];
  const log = (level: LogLevel, message: string): void => {
    if (levels[level] >= threshold) process.stderr.write(`${new Date().toISOString()} ${level} ${config.name}: ${message}\n`);
  };
  if (config.unsafeNoFsync) log('warn', 'UNSAFE: --unsafe-no-fsync is set: nothing is flushed to disk, and a power loss will lose acknowledged writes');
  const member = await Member.start({ config, log, unsafeNoFsync: config.unsafeNoFsync });
  log('info', `ready to serve client requests on ${member.clientUrls.join(',')} (peer port ${member.peerPort})`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log('info', `received ${signal}, shutting down`);
    void member.stop('signal');
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const reason = await member.whenStopped();
  log('info', `stopped (${reason})`);
  return reason === 'signal' || reason === 'shutdown' ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`rafter: ${oneLine(error)}\n`);
    process.exit(error instanceof FlagError ? 2 : 1);
  },
);
