// The persisted alarm list (etcd's AlarmMember set): NOSPACE and CORRUPT alarms per member,
// written in the caller's transaction and cached in memory. Deciding when to raise one is the
// store's (quota) or the server's business.
import { assert } from '../raft/assert.js';
import type { Backend } from './backend.js';
import { decodeInt64Key, encodeInt64Key, frame, unframe } from './encoding.js';
import type { AlarmMember, AlarmType } from './types.js';

const alarmCodes: Record<AlarmType, number> = { NOSPACE: 1, CORRUPT: 2 };

function alarmKey(alarm: AlarmMember): Buffer {
  return Buffer.concat([encodeInt64Key(alarm.memberId), Buffer.from([alarmCodes[alarm.alarm]])]);
}

function decodeAlarmKey(bytes: Uint8Array): AlarmMember {
  assert(bytes.length === 9, 'alarm key is 9 bytes');
  const code = bytes[8];
  const alarm: AlarmType = code === 1 ? 'NOSPACE' : 'CORRUPT';
  return { memberId: BigInt.asUintN(64, decodeInt64Key(bytes.subarray(0, 8))), alarm };
}

/** Active alarms, persisted in the `alarms` table. */
export class AlarmRegistry {
  private active: AlarmMember[] = [];

  constructor(private readonly backend: Backend) {
    this.reload();
  }

  /** Re-reads the table (after open or defragment). */
  reload(): void {
    this.active = [];
    for (const { key, value } of this.backend.table('alarms').getRange({})) {
      unframe(value);
      this.active.push(decodeAlarmKey(key));
    }
  }

  list(): AlarmMember[] {
    return this.active.slice();
  }

  has(alarm: AlarmType): boolean {
    return this.active.some((member) => member.alarm === alarm);
  }

  /** Records `alarm`; must run inside a write transaction. Returns false if it was active. */
  activate(alarm: AlarmMember): boolean {
    if (this.active.some((a) => a.alarm === alarm.alarm && a.memberId === alarm.memberId)) return false;
    this.backend.table('alarms').putSync(alarmKey(alarm), frame(new Uint8Array(0)));
    this.active.push(alarm);
    return true;
  }

  /** Clears `alarm`; must run inside a write transaction. Returns false if it was not active. */
  deactivate(alarm: AlarmMember): boolean {
    const index = this.active.findIndex((a) => a.alarm === alarm.alarm && a.memberId === alarm.memberId);
    if (index < 0) return false;
    this.backend.table('alarms').removeSync(alarmKey(alarm));
    this.active.splice(index, 1);
    return true;
  }
}
