export type { Integration, LogStorage, TreeState } from './driver.js';
export { LevelDbStorage, type LevelDbStorageOptions } from './leveldb.js';
