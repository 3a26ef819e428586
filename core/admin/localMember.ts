// One `rafter` member process of a local cluster: its etcd-style flags, its ports, and its info
// for the console. Spawning, the log tail, readiness (/health) and stopping are localProcess.ts's.
import type { LocalMemberInfo, TlsConfig } from './api.js';
import { LocalProcess } from './localProcess.js';
import type { MemberCommand } from './localProcess.js';
import { AdminFailure } from './result.js';

export { healthPollPauseMs, healthPollsMax, memberLogLinesKept, runMemberCommand, stopTimeoutMs } from './localProcess.js';
export type { MemberCommand } from './localProcess.js';

export interface LocalMemberSpec {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  initialCluster: string;
  initialState: 'new' | 'existing';
  clusterToken: string;
  isLearner: boolean;
  /** A file the member appends its log to, besides the pipe the console reads. */
  logFile?: string;
  /** The member's TLS flags (none for a plaintext cluster). */
  tlsFlags?: readonly string[];
  /** How the console reaches the member's client URL over TLS (its /health); absent: plaintext. */
  httpTls?: TlsConfig;
}

export class LocalMember extends LocalProcess {
  memberId: string | null = null;

  constructor(
    readonly spec: LocalMemberSpec,
    command: MemberCommand,
    env: Readonly<Record<string, string>>,
    onLines: (lines: string[]) => void,
    /** Called when the member's state changes without a request (its process exited). */
    onExit: () => void = () => undefined,
  ) {
    super(command, env, onLines, onExit);
  }

  info(): LocalMemberInfo {
    return {
      name: this.spec.name,
      memberId: this.memberId,
      clientUrl: this.spec.clientUrl,
      peerUrl: this.spec.peerUrl,
      state: this.state,
      exit: this.state === 'exited' ? this.exit : null,
      pid: this.process?.pid ?? null,
      isLearner: this.spec.isLearner,
    };
  }

  protected override get label(): string {
    return this.spec.name;
  }

  protected override arguments(): string[] {
    const { spec } = this;
    return [
      `--name=${spec.name}`,
      `--data-dir=${spec.dataDir}`,
      `--listen-client-urls=${spec.clientUrl}`,
      `--advertise-client-urls=${spec.clientUrl}`,
      `--listen-peer-urls=${spec.peerUrl}`,
      `--initial-advertise-peer-urls=${spec.peerUrl}`,
      `--initial-cluster=${spec.initialCluster}`,
      `--initial-cluster-state=${spec.initialState}`,
      `--initial-cluster-token=${spec.clusterToken}`,
      '--unsafe-fault-injection',
      '--log-level=info',
      ...(spec.tlsFlags ?? []),
      ...(spec.logFile === undefined ? [] : [`--log-outputs=stderr,${spec.logFile}`]),
    ];
  }

  protected override ports(): number[] {
    return [this.spec.clientUrl, this.spec.peerUrl].map((url) => Number(new URL(url).port));
  }

  protected override readyUrl(): string {
    return `${this.spec.clientUrl}/health`;
  }

  protected override readyTls(): TlsConfig | undefined {
    return this.spec.httpTls;
  }

  protected override logFile(): string | undefined {
    return this.spec.logFile;
  }

  /** SIGSTOP: the process is frozen (its timers, its peers' connections) until `resume`. */
  pause(): void {
    const child = this.process;
    if (!child || this.state === 'starting') throw new AdminFailure('failed_precondition', `${this.spec.name} is not running.`);
    child.kill('SIGSTOP');
    this.state = 'paused';
  }

  /** SIGCONT after `pause`. */
  resume(): void {
    const child = this.process;
    if (!child || this.state !== 'paused') throw new AdminFailure('failed_precondition', `${this.spec.name} is not paused.`);
    child.kill('SIGCONT');
    this.state = 'running';
  }

  /** A paused process handles SIGTERM only once it runs again. */
  override async stop(): Promise<void> {
    if (this.state === 'paused') this.process?.kill('SIGCONT');
    await super.stop();
  }
}
