// A `rafter grpc-proxy start` process for tests (core/cli/main.ts run with tsx) on a free loopback
// port, or etcd 3.4's own `etcd grpc-proxy start` as the reference. Waits (bounded) until the
// proxy's /health answers, keeps its log for failure messages, and stops it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './ports.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
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
  readonly log: string[] = [];
  private exitCode: number | null = null;

  private constructor(
    readonly port: number,
    private child: ChildProcess | undefined,
    private readonly tls: boolean,
  ) {}

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
    const child = options.etcd
      ? spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--import', 'tsx', path.join(root, 'core/cli/main.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const proxy = new ProxyProcess(port!, child, options.tls ?? false);
    const push = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        proxy.log.push(line);
        if (proxy.log.length > logLinesMax) proxy.log.shift();
      }
    };
    child.stdout?.on('data', push);
    child.stderr?.on('data', push);
    child.on('close', (code) => {
      proxy.exitCode = code ?? 1;
      proxy.child = undefined;
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
    for (let poll = 0; poll < healthPollsMax; poll++) {
      if (this.child === undefined) throw new Error(`proxy exited with ${this.exitCode}:\n${this.log.join('\n')}`);
      try {
        const response = await fetch(`http://${this.endpoint}/health`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, healthPollPauseMs));
    }
    throw new Error(`proxy never became healthy:\n${this.log.join('\n')}`);
  }

  /** The proxy's /metrics as name{labels} → value. */
  async metrics(): Promise<Map<string, number>> {
    const text = await (await fetch(`http://${this.endpoint}/metrics`)).text();
    return parseMetrics(text);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
    await exited;
    clearTimeout(timer);
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
