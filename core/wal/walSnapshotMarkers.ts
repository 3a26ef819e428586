// Lists the snapshot markers of a WAL without opening it, so a starting member can choose the
// newest snapshot file the WAL can replay from before calling Wal.open with it. Read-only.
import fs from 'node:fs/promises';
import { scanSegment } from './scanSegment.js';
import { listWalDirectory } from './segmentFiles.js';
import type { WalSnapshotMarker } from './walRecord.js';

/**
 * The distinct snapshot markers in the WAL in `dir`, in the order first written. Stops at the first
 * damaged record (Wal.open decides whether that damage is acceptable). Throws WalGapError when a
 * segment is missing.
 */
export async function walSnapshotMarkers(dir: string): Promise<WalSnapshotMarker[]> {
  const { segments } = await listWalDirectory(dir);
  const markers: WalSnapshotMarker[] = [];
  for (const file of segments) {
    const damage = scanSegment(await fs.readFile(file.path), (record) => {
      if (record.kind !== 'snapshotMarker') return;
      const { index, term } = record.marker;
      if (!markers.some((m) => m.index === index && m.term === term)) markers.push(record.marker);
    });
    if (damage !== null) break;
  }
  return markers;
}
