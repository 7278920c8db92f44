// Resuming a conversion where it stopped (a reload, a lost network, Cancel): the output keeps a journal of
// the graphs already finished — their files with sizes and sha256, the checkpoint tensors each read, and the
// shared-weight registry of their dtype — written after each graph. A run with the same inputs (the same commit,
// dtypes and quantization) skips those graphs and writes only the rest; the folder's files end up as an
// uninterrupted run writes them. A run with other inputs starts over.

import type { FileEntry } from '../src/model-folder/manifest.ts';
import type { SharedEntry, SharedWeights } from './write/external-data.ts';
import type { JournalFile } from './write/output-files.ts';

export interface GraphDone {
  graph: FileEntry;
  /** The data files it wrote (its own chunks). */
  chunks: FileEntry[];
  /** Its model.json externalData: its chunks, then the data files of other graphs it borrows from. */
  externalData: FileEntry[];
  /** The checkpoint tensors it read (for the progress and the unused-tensor report when it is skipped). */
  tensors: string[];
}

interface JournalJson {
  key: string;
  graphs: Record<string, GraphDone>;
  /** Per dtype, the SharedWeights registry after its last finished graph. */
  shared: Record<string, SharedEntry[]>;
}

export class ConvertJournal {
  private constructor(private readonly file: JournalFile | undefined, private readonly json: JournalJson) {}

  /** The journal of an earlier run with the same `key`, else an empty one. */
  static async open(file: JournalFile | undefined, key: string): Promise<ConvertJournal> {
    const text = file ? await file.read() : null;
    let json: JournalJson = { key, graphs: {}, shared: {} };
    if (text) {
      try {
        const old = JSON.parse(text) as JournalJson;
        if (old.key === key && old.graphs && old.shared) json = old;
      } catch {
        // a journal cut mid-write: start over, as for one from other inputs
      }
    }
    return new ConvertJournal(file, json);
  }

  /** Graphs a previous run finished, by path. */
  get resumed(): string[] {
    return Object.keys(this.json.graphs);
  }

  done(path: string): GraphDone | undefined {
    return this.json.graphs[path];
  }

  /** Puts a resumed dtype's shared weights back into its registry. */
  restore(dtype: string, shared: SharedWeights): void {
    for (const e of this.json.shared[dtype] ?? []) shared.add(e.name, e.sha256, e.ref);
  }

  async record(path: string, done: GraphDone, dtype: string, shared: SharedWeights): Promise<void> {
    this.json.graphs[path] = done;
    this.json.shared[dtype] = shared.entries();
    await this.file?.write(JSON.stringify(this.json));
  }
}
