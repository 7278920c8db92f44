// A checkpoint folder as the official release ships it: config.json plus model.safetensors or a sharded
// model.safetensors.index.json ({weight_map: {tensor: shard file}}). Emitters and the TS reference read
// weights through `WeightSource`, one tensor at a time, under their checkpoint names.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { tensor, type Tensor } from './tensor.ts';
import { SafetensorsError, SafetensorsFile, type TensorEntry } from './safetensors.ts';
import type { WeightSource } from './weights.ts';

export type { WeightSource } from './weights.ts';

export class Checkpoint implements WeightSource {
  private constructor(
    readonly dir: string,
    readonly config: unknown,
    private readonly files: SafetensorsFile[],
    private readonly where: ReadonlyMap<string, { file: SafetensorsFile; entry: TensorEntry }>,
  ) {}

  static async open(dir: string): Promise<Checkpoint> {
    const configPath = join(dir, 'config.json');
    if (!existsSync(configPath)) throw new SafetensorsError(`${dir}: no config.json (not a checkpoint folder)`);
    let config: unknown;
    try {
      config = JSON.parse(await readFile(configPath, 'utf8'));
    } catch (e) {
      throw new SafetensorsError(`${configPath}: not valid JSON (${(e as Error).message})`);
    }
    const { shards, weightMap, indexPath } = await shardFiles(dir);
    const files: SafetensorsFile[] = [];
    try {
      for (const s of shards) files.push(await SafetensorsFile.open(join(dir, s)));
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    const where = new Map<string, { file: SafetensorsFile; entry: TensorEntry }>();
    const fail = async (msg: string) => {
      await Promise.all(files.map((f) => f.close()));
      throw new SafetensorsError(msg);
    };
    for (const file of files)
      for (const entry of file.entries.values()) {
        const prev = where.get(entry.name);
        if (prev) await fail(`${dir}: tensor ${entry.name} is in both ${basename(prev.file.path)} and ${basename(file.path)}`);
        where.set(entry.name, { file, entry });
      }
    if (weightMap) {
      for (const [name, shard] of Object.entries(weightMap)) {
        const w = where.get(name);
        if (!w) await fail(`${indexPath}: weight_map lists ${name} in ${shard}, but ${shard} has no such tensor`);
        else if (basename(w.file.path) !== shard) await fail(`${indexPath}: weight_map puts ${name} in ${shard}, but it is in ${basename(w.file.path)}`);
      }
    }
    return new Checkpoint(dir, config, files, where);
  }

  /** Opens a single .safetensors file as a weight source (the fo1-golden fixtures). */
  static async openFile(path: string, config: unknown = {}): Promise<Checkpoint> {
    const file = await SafetensorsFile.open(path);
    const where = new Map([...file.entries.values()].map((entry) => [entry.name, { file, entry }] as const));
    return new Checkpoint(path, config, [file], where);
  }

  has(name: string): boolean {
    return this.where.has(name);
  }

  shape(name: string): readonly number[] | undefined {
    return this.where.get(name)?.entry.shape;
  }

  names(): string[] {
    return [...this.where.keys()];
  }

  /** Bytes of all tensor data (for progress and throughput). */
  totalBytes(): number {
    let n = 0;
    for (const { entry } of this.where.values()) n += entry.end - entry.begin;
    return n;
  }

  entry(name: string): TensorEntry | undefined {
    return this.where.get(name)?.entry;
  }

  async get(name: string, expectedShape?: readonly number[]): Promise<Tensor> {
    const w = this.where.get(name);
    if (!w) throw new SafetensorsError(`${this.dir}: missing tensor ${name}${expectedShape ? ` (expected shape [${expectedShape}])` : ''}`);
    if (expectedShape && (expectedShape.length !== w.entry.shape.length || expectedShape.some((d, i) => d !== w.entry.shape[i]))) {
      throw new SafetensorsError(`${w.file.path}: tensor ${name} has shape [${w.entry.shape}], expected [${expectedShape}]`);
    }
    return tensor(await w.file.readFloat32(name), w.entry.shape);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

/** Shard file names: those of the index's weight_map, or the single model.safetensors. */
async function shardFiles(dir: string): Promise<{ shards: string[]; weightMap?: Record<string, string>; indexPath?: string }> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8'));
    } catch (e) {
      throw new SafetensorsError(`${indexPath}: not valid JSON (${(e as Error).message})`);
    }
    const map = index?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw new SafetensorsError(`${indexPath}: no weight_map object`);
    const weightMap = map as Record<string, unknown>;
    for (const [name, shard] of Object.entries(weightMap)) {
      // A shard must be a plain file name inside the folder: the index is data, not a path to follow.
      if (typeof shard !== 'string' || shard !== basename(shard) || !shard.endsWith('.safetensors')) {
        throw new SafetensorsError(`${indexPath}: weight_map.${name} = ${JSON.stringify(shard)} is not a .safetensors file name in the folder`);
      }
      if (!existsSync(join(dir, shard))) throw new SafetensorsError(`${indexPath}: shard ${shard} (for ${name}) is missing from ${dir}`);
    }
    return { shards: [...new Set(Object.values(weightMap as Record<string, string>))].sort(), weightMap: weightMap as Record<string, string>, indexPath };
  }
  if (existsSync(join(dir, 'model.safetensors'))) return { shards: ['model.safetensors'] };
  throw new SafetensorsError(`${dir}: neither model.safetensors nor model.safetensors.index.json`);
}
