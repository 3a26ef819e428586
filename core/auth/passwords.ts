// Password hashing with bcrypt, off the member's event loop. bcrypt is slow on purpose (cost 10
// is tens of milliseconds); on the event loop it would stall Raft's heartbeats, and the async
// API of bcryptjs still runs on the calling thread in slices of up to 100 ms. So every hash and
// comparison runs in one worker thread, one job at a time, with a bounded queue.
//
// bcryptjs (pure JavaScript, pinned in package.json): no native build, so it installs wherever
// Node runs (CI, Electron, machines without a compiler), and it writes and reads the standard
// modular-crypt format ($2b$, and reads $2a$/$2y$) that Go's x/crypto/bcrypt (etcd's) reads too.
// Passwords never leave this module except as hashes, and nothing here logs them.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { ServerError } from '../server/errors.js';

/** etcd's --bcrypt-cost default (Go's bcrypt.DefaultCost). */
export const bcryptCostDefault = 10;
/** Go's bcrypt.MinCost and MaxCost: the costs etcd accepts. */
export const bcryptCostMin = 4;
export const bcryptCostMax = 31;
/** Jobs waiting for the worker; more are refused (too many requests) rather than queued without end. */
export const passwordJobsMax = 64;

type Job =
  | { readonly op: 'hash'; readonly password: string; readonly cost: number }
  | { readonly op: 'compare'; readonly password: string; readonly hash: string };

interface Pending {
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

// CommonJS source of the worker: it loads bcryptjs from the path the parent resolved, so it runs
// the same under tsx, vitest and a bundled build.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (job) => {
  try {
    const result = job.op === 'hash' ? bcrypt.hashSync(job.password, job.cost) : bcrypt.compareSync(job.password, job.hash);
    parentPort.postMessage({ id: job.id, ok: true, result });
  } catch (error) {
    parentPort.postMessage({ id: job.id, ok: false, message: error && error.message ? String(error.message) : String(error) });
  }
});
`;

/** One worker thread doing bcrypt for a member. `close()` ends it. */
export class PasswordHasher {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(readonly cost: number = bcryptCostDefault) {
    if (!Number.isInteger(cost) || cost < bcryptCostMin || cost > bcryptCostMax) {
      throw new RangeError(`bcrypt cost ${cost} is outside [${bcryptCostMin}, ${bcryptCostMax}]`);
    }
  }

  /** A bcrypt hash of `password` at this hasher's cost. */
  async hash(password: string): Promise<string> {
    return (await this.run({ op: 'hash', password, cost: this.cost })) as string;
  }

  /** Whether `password` matches `hash`; a malformed hash matches nothing. */
  async compare(password: string, hash: string): Promise<boolean> {
    return (await this.run({ op: 'compare', password, hash })) as boolean;
  }

  private start(): Worker {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(workerSource, { eval: true, workerData: { bcryptPath } });
    worker.on('message', (answer: { id: number; ok: boolean; result?: string | boolean; message?: string }) => {
      const job = this.pending.get(answer.id);
      if (!job) return;
      this.pending.delete(answer.id);
      if (this.pending.size === 0) worker.unref();
      if (answer.ok) job.resolve(answer.result ?? false);
      else job.reject(new Error(`bcrypt failed: ${answer.message ?? 'unknown error'}`));
    });
    worker.on('error', (error) => this.failAll(error));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      this.failAll(new Error('the password worker stopped'));
    });
    return worker;
  }

  private run(job: Job): Promise<string | boolean> {
    if (this.pending.size >= passwordJobsMax) return Promise.reject(new ServerError('TOO_MANY_REQUESTS'));
    this.worker ??= this.start();
    const worker = this.worker;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, ...job });
    });
  }

  private failAll(error: Error): void {
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) job.reject(error);
  }

  /** Ends the worker; jobs still waiting fail. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
    this.failAll(new ServerError('STOPPED'));
  }
}
