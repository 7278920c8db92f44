// A checkpoint folder as the official release ships it: config.json plus model.safetensors or a sharded
// model.safetensors.index.json ({weight_map: {tensor: shard file}}), in a local folder or a Hub repository
// (CheckpointFiles). Emitters and the TS reference read weights through `WeightSource`, one tensor at a time,
// under their checkpoint names.

import { tensor, type Tensor } from './tensor.ts';
import { checkpointFiles, type CheckpointFiles } from './byte-source.ts';
import { SafetensorsError, SafetensorsFile, type TensorEntry } from './safetensors.ts';
import type { WeightSource } from './weights.ts';

export type { WeightSource } from './weights.ts';

export class Checkpoint implements WeightSource {
  private constructor(
    readonly dir: string,
    readonly config: unknown,
    private readonly files: SafetensorsFile[],
    private readonly where: ReadonlyMap<string, { file: SafetensorsFile; shard: string; entry: TensorEntry }>,
  ) {}

  /** A local folder (a path) or any CheckpointFiles (a Hub repository at one commit). */
  static async open(folder: string | CheckpointFiles): Promise<Checkpoint> {
    const src = await checkpointFiles(folder);
    const dir = src.label;
    if (!src.has('config.json')) throw new SafetensorsError(`${dir}: no config.json (not a checkpoint folder)`);
    let config: unknown;
    try {
      config = JSON.parse(await src.text('config.json'));
    } catch (e) {
      throw new SafetensorsError(`${src.where('config.json')}: not valid JSON (${(e as Error).message})`);
    }
    const { shards, weightMap, indexPath } = await shardFiles(src);
    const files: SafetensorsFile[] = [];
    try {
      for (const s of shards) files.push(await SafetensorsFile.open(await src.open(s)));
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    const where = new Map<string, { file: SafetensorsFile; shard: string; entry: TensorEntry }>();
    const fail = async (msg: string) => {
      await Promise.all(files.map((f) => f.close()));
      throw new SafetensorsError(msg);
    };
    for (const [i, file] of files.entries())
      for (const entry of file.entries.values()) {
        const prev = where.get(entry.name);
        if (prev) await fail(`${dir}: tensor ${entry.name} is in both ${prev.shard} and ${shards[i]}`);
        where.set(entry.name, { file, shard: shards[i], entry });
      }
    if (weightMap) {
      for (const [name, shard] of Object.entries(weightMap)) {
        const w = where.get(name);
        if (!w) await fail(`${indexPath}: weight_map lists ${name} in ${shard}, but ${shard} has no such tensor`);
        else if (w.shard !== shard) await fail(`${indexPath}: weight_map puts ${name} in ${shard}, but it is in ${w.shard}`);
      }
    }
    return new Checkpoint(dir, config, files, where);
  }

  /** Opens a single .safetensors file as a weight source (the fo1-golden fixtures). */
  static async openFile(path: string, config: unknown = {}): Promise<Checkpoint> {
    const file = await SafetensorsFile.open(path);
    const where = new Map([...file.entries.values()].map((entry) => [entry.name, { file, shard: path, entry }] as const));
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

  async getRows(name: string, begin: number, end: number): Promise<Tensor> {
    const w = this.where.get(name);
    if (!w) throw new SafetensorsError(`${this.dir}: missing tensor ${name}`);
    return tensor(await w.file.readFloat32Rows(name, begin, end), [end - begin, ...w.entry.shape.slice(1)]);
  }

  async close(): Promise<void> {
    await Promise.all(this.files.map((f) => f.close()));
  }
}

/** Shard file names: those of the index's weight_map, or the single model.safetensors. */
async function shardFiles(src: CheckpointFiles): Promise<{ shards: string[]; weightMap?: Record<string, string>; indexPath?: string }> {
  const indexFile = 'model.safetensors.index.json';
  const indexPath = src.where(indexFile);
  if (src.has(indexFile)) {
    let index: { weight_map?: unknown };
    try {
      index = JSON.parse(await src.text(indexFile));
    } catch (e) {
      throw new SafetensorsError(`${indexPath}: not valid JSON (${(e as Error).message})`);
    }
    const map = index?.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw new SafetensorsError(`${indexPath}: no weight_map object`);
    const weightMap = map as Record<string, unknown>;
    for (const [name, shard] of Object.entries(weightMap)) {
      // A shard must be a plain file name inside the folder: the index is data, not a path to follow.
      if (typeof shard !== 'string' || /[/\\]/.test(shard) || shard === '..' || !shard.endsWith('.safetensors')) {
        throw new SafetensorsError(`${indexPath}: weight_map.${name} = ${JSON.stringify(shard)} is not a .safetensors file name in the folder`);
      }
      if (!src.has(shard)) throw new SafetensorsError(`${indexPath}: shard ${shard} (for ${name}) is missing from ${src.label}`);
    }
    return { shards: [...new Set(Object.values(weightMap as Record<string, string>))].sort(), weightMap: weightMap as Record<string, string>, indexPath };
  }
  if (src.has('model.safetensors')) return { shards: ['model.safetensors'] };
  throw new SafetensorsError(`${src.label}: neither model.safetensors nor model.safetensors.index.json`);
}
