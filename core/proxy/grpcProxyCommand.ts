// `rafter grpc-proxy start [flags]`: runs the proxy until SIGTERM or SIGINT. Flag errors are one
// line (exit 2), as `rafter`'s own.
import { FlagError, parseProxyConfig, proxyHelpText } from './proxyConfig.js';
import { ProxyServer } from './proxyServer.js';

export async function grpcProxyCommand(argv: readonly string[]): Promise<number> {
  if (argv[0] !== 'start' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${proxyHelpText()}\n`);
    return argv[0] === 'start' || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  let config;
  try {
    config = parseProxyConfig(argv.slice(1));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    process.stderr.write(`rafter grpc-proxy: ${error.message}\n`);
    return 2;
  }
  const log = (message: string): void => {
    process.stderr.write(`${new Date().toISOString()} info grpc-proxy: ${message}\n`);
  };
  const proxy = new ProxyServer(config, log);
  const port = await proxy.start();
  const scheme = config.certFile !== '' ? 'https' : 'http';
  log(`started gRPC proxy on ${scheme}://${config.listenAddr.host}:${port} for ${config.endpoints.join(',')}${config.namespace === '' ? '' : ` in namespace ${JSON.stringify(config.namespace)}`}`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  log('shutting down');
  await proxy.close();
  return 0;
}
