// The tiny random-weight model the engine tests run: a `tiny` fixture checkpoint written by the converter's
// fixture generator and converted by the converter itself (fp32 graphs), in the OS temp folder. The folder
// name carries a hash of the converter's sources (and the dtypes when not fp32 alone), so every test file (vitest runs them in separate workers)
// reuses one conversion until the converter changes; both writers build beside the target and rename.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../../../converter/convert.ts';
import { writeFixture } from '../../../fixtures/fixture.ts';
import type { ModelDtype } from '../../model-folder/manifest.ts';
import { MODEL_BUILD_SOURCES, sourceHash } from '../../testing/source-hash.ts';

/** Fixture seed: the weights (and so every answer) are a function of it. */
export const TINY_SEED = 0;

export interface TinyModel {
  /** The converted model folder (model.json + onnx/ + tokenizer). */
  dir: string;
  /** The fixture checkpoint it was converted from (for the reference path's weights). */
  checkpoint: string;
}

/** The tiny model converted to `dtypes` (fp32 graphs unless asked; each dtype set has its own folder). */
export async function tinyModel(dtypes: ModelDtype[] = ['fp32']): Promise<TinyModel> {
  const root = join(tmpdir(), `fo1-web-engine-tiny-${sourceHash(MODEL_BUILD_SOURCES)}${dtypes.join('-') === 'fp32' ? '' : `-${dtypes.join('-')}`}`);
  const checkpoint = join(root, 'checkpoint');
  const dir = join(root, 'model');
  if (!existsSync(join(checkpoint, 'config.json'))) {
    await writeFixture({ preset: 'tiny', out: checkpoint, seed: TINY_SEED }).catch((e: unknown) => {
      if (!existsSync(join(checkpoint, 'config.json'))) throw e;
    });
  }
  if (!existsSync(join(dir, 'model.json'))) {
    // Another test worker may finish the same conversion first; its result is identical.
    await convert({ checkpoint, out: dir, dtypes }).catch((e: unknown) => {
      if (!existsSync(join(dir, 'model.json'))) throw e;
    });
  }
  return { dir, checkpoint };
}
