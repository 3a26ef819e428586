// The public surface of core/wal: the write-ahead log, its inspector, its errors and limits.
export { Wal, batchBytesMax, segmentBytesDefault } from './wal.js';
export type { SaveOptions, WalEvent, WalLogger, WalOpenOptions, WalOpenResult, WalOptions } from './wal.js';
export { inspectWal, inspectRecordsMaxDefault } from './inspectWal.js';
export { walSnapshotMarkers } from './walSnapshotMarkers.js';
export type { EntryDecoder, InspectOptions, InspectedRecord, InspectedSegment, WalInspection } from './inspectWal.js';
export { crc32c } from './crc32c.js';
export { recordPayloadBytesMax, idBytesMax } from './walRecord.js';
export type { WalMetadata, WalSnapshotMarker } from './walRecord.js';
export type { FsyncObserver } from './segmentFiles.js';
export * from './walErrors.js';
