export type { Integration, KeyRange, KeyValue, KeyValueSpace, LogStorage, TreeState } from './driver.js';
export type { CompactionPriority } from './compaction-priority.js';
export { LevelDbStorage, type LevelDbStorageOptions } from './leveldb.js';
