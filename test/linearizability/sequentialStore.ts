// A sequential reference of etcd's KV for generating histories in tests: one global revision
// counter, per-key value and mod revision, with put, get, value compare-and-set and delete. It
// produces the outputs a correct store gives; the checkers must accept every history built from
// it with timings that contain each operation's linearization point.
import type { KvInput, KvOutput } from './history.js';

/** A correct, single-threaded etcd KV with a global revision counter (starting at 1 as etcd). */
export class SequentialStore {
  private revision = 1;
  private readonly keys = new Map<string, { value: string; modRevision: number }>();

  /** Applies `input` and returns what etcd answers. */
  apply(input: KvInput): Exclude<KvOutput, { kind: 'unknown' }> {
    const current = this.keys.get(input.key);
    switch (input.kind) {
      case 'put':
        this.revision++;
        this.keys.set(input.key, { value: input.value, modRevision: this.revision });
        return { kind: 'put', revision: this.revision };
      case 'get':
        return { kind: 'get', found: current === undefined ? null : { ...current }, revision: this.revision };
      case 'cas':
        if (current === undefined || current.value !== input.expected) return { kind: 'cas', succeeded: false, revision: this.revision };
        this.revision++;
        this.keys.set(input.key, { value: input.value, modRevision: this.revision });
        return { kind: 'cas', succeeded: true, revision: this.revision };
      case 'delete':
        if (current === undefined) return { kind: 'delete', deleted: 0, revision: this.revision };
        this.revision++;
        this.keys.delete(input.key);
        return { kind: 'delete', deleted: 1, revision: this.revision };
    }
  }
}
