// The engine's typed errors (src/engine/engine-error.ts), which cross the worker boundary as plain records.
export * from '../engine/engine-error.ts';
