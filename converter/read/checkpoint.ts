// A checkpoint folder as the official release ships it: config.json plus model.safetensors or a sharded
// model.safetensors.index.json ({weight_map: {tensor: shard file}}). Emitters and the TS reference read
// weights through `WeightSource`, one tensor at a time, under their checkpoint names.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tensor, type Tensor } from '../../reference/tensor.ts';
import { SafetensorsError, SafetensorsFile, type TensorEntry } from './safetensors.ts';

/** Read access to named weights; shapes are known without reading data. */
export interface WeightSource {
  has(name: string): boolean;
  shape(name: string): readonly number[] | undefined;
  /** The tensor as float32, or an error naming the tensor (and expected shape, when given). */
  get(name: string, expectedShape?: readonly number[]): Promise<Tensor>;
  names(): string[];
}

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
    const shardNames = await shardFiles(dir);
    const files: SafetensorsFile[] = [];
    try {
      for (const s of shardNames) files.push(await SafetensorsFile.open(join(dir, s)));
    } catch (e) {
      await Promise.all(files.map((f) => f.close()));
      throw e;
    }
    const where = new Map<string, { file: SafetensorsFile; entry: TensorEntry }>();
    for (const file of files) for (const entry of file.entries.values()) where.set(entry.name, { file, entry });
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

async function shardFiles(dir: string): Promise<string[]> {
  const indexPath = join(dir, 'model.safetensors.index.json');
  if (existsSync(indexPath)) {
    let index: { weight_map?: Record<string, string> };
    try {
      index = JSON.parse(await readFile(indexPath, 'utf8'));
    } catch (e) {
      throw new SafetensorsError(`${indexPath}: not valid JSON (${(e as Error).message})`);
    }
    if (!index.weight_map || typeof index.weight_map !== 'object') throw new SafetensorsError(`${indexPath}: no weight_map`);
    return [...new Set(Object.values(index.weight_map))].sort();
  }
  if (existsSync(join(dir, 'model.safetensors'))) return ['model.safetensors'];
  throw new SafetensorsError(`${dir}: neither model.safetensors nor model.safetensors.index.json`);
}
