// A `rafter grpc-proxy start` process for tests (the compiled `rafter`) on a free loopback port, or etcd 3.4's own `etcd grpc-proxy start` as the reference. Waits (bounded) until the
// proxy's /health answers, keeps its log for failure messages, and stops it with SIGTERM.
import type { ChildProcess } from 'node:child_process';
import { pollUntil, spawnMember, stopProcess } from './memberProcess.js';
import { freePorts } from './ports.js';
import { rafterCli } from './rafterCluster.js';

const healthPollsMax = 400;
const healthPollPauseMs = 50;
const stopTimeoutMs = 5_000;
const logLinesMax = 200;

export interface ProxyProcessOptions {
  /** Cluster endpoints (host:port or URLs). */
  readonly endpoints: readonly string[];
  readonly extraArgs?: readonly string[];
  /** Run etcd's grpc-proxy instead of Rafter's. */
  readonly etcd?: boolean;
  /** https towards clients: the scheme of `url`. */
  readonly tls?: boolean;
  /** Wait for /health to answer 200 (default true). */
  readonly waitHealthy?: boolean;
}

export class ProxyProcess {
  private exitCode: number | null = null;

  private constructor(
    readonly port: number,
    private child: ChildProcess | undefined,
    private readonly tls: boolean,
    readonly log: string[],
  ) {}

  private closed(code: number | null): void {
    this.exitCode = code ?? 1;
    this.child = undefined;
  }

  /** The process id while it runs (for CPU and memory readings). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** host:port clients use. */
  get endpoint(): string {
    return `127.0.0.1:${this.port}`;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://${this.endpoint}`;
  }

  static async start(options: ProxyProcessOptions): Promise<ProxyProcess> {
    const [port] = await freePorts(1);
    const args = [
      'grpc-proxy', 'start', `--endpoints=${options.endpoints.join(',')}`, `--listen-addr=127.0.0.1:${port!}`,
      `--advertise-client-url=127.0.0.1:${port!}`, ...(options.extraArgs ?? []),
    ];
    const proxy = new ProxyProcess(port!, undefined, options.tls ?? false, []);
    proxy.child = spawnMember({
      command: options.etcd ? 'etcd' : process.execPath,
      args: options.etcd ? args : [rafterCli, ...args],
      log: proxy.log,
      logLinesMax,
      onClose: (code) => proxy.closed(code),
    });
    if (options.waitHealthy ?? true) {
      try {
        await proxy.waitHealthy();
      } catch (error) {
        await proxy.stop();
        throw error;
      }
    }
    return proxy;
  }

  async waitHealthy(): Promise<void> {
    await pollUntil(
      async () => {
        if (this.child === undefined) throw new Error(`proxy exited with ${this.exitCode}:\n${this.log.join('\n')}`);
        try {
          return (await fetch(`http://${this.endpoint}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
        } catch {
          return false; // not listening yet
        }
      },
      { pollsMax: healthPollsMax, pauseMs: healthPollPauseMs, failure: () => new Error(`proxy never became healthy:\n${this.log.join('\n')}`) },
    );
  }

  /** The proxy's /metrics as name{labels} → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://${this.endpoint}/metrics`)).text();
    return parseMetrics(text);
  }

  async stop(): Promise<void> {
    await stopProcess(this.child, 'SIGTERM', stopTimeoutMs);
  }
}

/** Prometheus text → name{labels} → value. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}
