// A short hash of the TypeScript sources under some folders of the repo (tests excluded): test fixtures built
// from the converter are cached in folders named by it, so they are rebuilt exactly when those sources change.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './shared.ts';

/**
 * Every source folder a converted test model is built from (the converter, the ONNX layer, the contract, the
 * fixtures, the tokenizer tags they add, and the reference the scripted model's weights are solved against):
 * the one staleness rule of every cached model folder (tiny model, scripted model, the app's demo model).
 */
export const MODEL_BUILD_SOURCES = ['converter', 'fixtures', 'reference', 'src/model-folder', 'src/onnx', 'src/engine/prompt'] as const;

export function sourceHash(folders: readonly string[]): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) h.update(p).update(readFileSync(p));
    }
  };
  for (const f of folders) walk(join(repoRoot, f));
  return h.digest('hex').slice(0, 16);
}
