// Collects the conversion report (src/model-folder/conversion-report.ts): which config keys the parsers read
// (by watching their reads of the JSON, so that no parser has to remember to report), and which checkpoint
// tensors no graph read. A tensor nobody reads is an error unless it is known to be unused at inference: a
// module this converter does not know means the checkpoint is not the VLM-FO1 it converts.

import type { ConfigFileReport, ConversionReport } from '../src/model-folder/conversion-report.ts';
import type { Fo1Config } from '../src/model-folder/config.ts';

export class UnknownTensorError extends Error {
  override name = 'UnknownTensorError';
}

type Json = Record<string, unknown>;

/** Records every key read from one JSON file, through the proxy `wrap` returns. */
export class ConfigReads {
  private readonly seen = new Map<string, { present: boolean; value: unknown }>();

  /** `defaults`: the file's documented defaults by key (config.json: CONFIG_DEFAULTS, converter/read/config.ts). */
  constructor(private readonly defaults: Readonly<Record<string, { value: unknown; why: string }>> = {}) {}

  wrap<T>(json: T, prefix = ''): T {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return json;
    return new Proxy(json as Json, {
      get: (target, key, receiver) => {
        const v = Reflect.get(target, key, receiver);
        if (typeof key !== 'string') return v;
        const path = `${prefix}${key}`;
        const present = Object.hasOwn(target, key) && v !== null && v !== undefined;
        if (!this.seen.has(path) || present) this.seen.set(path, { present, value: v });
        return this.wrap(v, `${path}.`);
      },
    }) as T;
  }

  /** Leaf values only: an object read on the way to its keys is reported through them. */
  report(): ConfigFileReport {
    const read: Record<string, unknown> = {};
    const absent: string[] = [];
    const paths = [...this.seen.keys()];
    for (const [path, { present, value }] of this.seen) {
      if (!present) absent.push(path);
      else if (!(typeof value === 'object' && !Array.isArray(value) && paths.some((p) => p.startsWith(`${path}.`)))) read[path] = value;
    }
    // A default applied where its key is absent everywhere it was looked for (top level and text_config alike).
    const leaf = (p: string) => p.slice(p.lastIndexOf('.') + 1);
    const found = new Set(Object.keys(read).map(leaf));
    const defaults: ConfigFileReport['defaults'] = {};
    for (const p of absent) if (Object.hasOwn(this.defaults, leaf(p)) && !found.has(leaf(p))) defaults[leaf(p)] = this.defaults[leaf(p)];
    return { read, absent: absent.sort(), defaults };
  }
}

/** Checkpoint tensors that inference does not read, by rule, with the reason. */
const KNOWN_UNUSED: { test: (name: string, cfg: Fo1Config) => boolean; why: string }[] = [
  {
    test: (n, c) => n === 'lm_head.weight' && c.text.tieWordEmbeddings,
    why: 'tie_word_embeddings is true: transformers ties lm_head to model.embed_tokens at load (tie_weights), so the stored copy is never used',
  },
  { test: (n) => n.endsWith('.num_batches_tracked'), why: 'a BatchNorm training counter; inference uses the running statistics only' },
  { test: (n) => n.endsWith('.rotary_emb.inv_freq'), why: 'a buffer recomputed from rope_theta (older transformers saved it)' },
];

/** The tensors no graph read; UnknownTensorError for any not known to be unused. */
export function unusedTensors(names: readonly string[], used: ReadonlySet<string>, cfg: Fo1Config): ConversionReport['tensors'] {
  const unused: { name: string; why: string }[] = [];
  const unknown: string[] = [];
  for (const name of [...names].sort()) {
    if (used.has(name)) continue;
    const rule = KNOWN_UNUSED.find((r) => r.test(name, cfg));
    if (rule) unused.push({ name, why: rule.why });
    else unknown.push(name);
  }
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? `, … (${unknown.length} in all)` : '');
    throw new UnknownTensorError(`checkpoint: tensors no graph reads and not known to be unused at inference: ${shown} (a module this converter does not know: not a VLM-FO1 checkpoint, or a variant it does not support)`);
  }
  return { total: names.length, used: names.length - unused.length, unused };
}
