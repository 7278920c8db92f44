// What the converter found in the checkpoint and did about it, recorded in model.json (`conversion`) so that a
// real checkpoint that differs from the fixtures says so: every config key read with its value, every key read
// but absent (so a default applied), and every checkpoint tensor no graph uses (each known to be unused at
// inference, with the reason; an unknown one stops the conversion).

export interface ConfigFileReport {
  /** Key path (`vision_config.depth`) → the value read. */
  read: Record<string, unknown>;
  /** Key paths read but absent from the file: the converter's default for each applied (converter/read/config.ts). */
  absent: string[];
  /** Of those, each key whose documented default applied: the value, and where that default comes from. */
  defaults: Record<string, { value: unknown; why: string }>;
}

export interface ConversionReport {
  /** The commit the files were read at, for a Hub repository. */
  commit?: string;
  /** Per file read (config.json, preprocessor_config.json, generation_config.json). */
  config: Record<string, ConfigFileReport>;
  tensors: {
    total: number;
    used: number;
    /** Tensors present but read by no graph, each with why that is right. */
    unused: { name: string; why: string }[];
  };
}
