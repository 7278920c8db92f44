import { describe, expect, it } from 'vitest';
import { COMPONENTS, ManifestError, OutdatedManifestError, MANIFEST_FORMAT, MANIFEST_VERSION, manifestFiles, onnxPath, validateManifest } from './manifest.ts';

const file = (path: string) => ({ path, bytes: 10, sha256: 'a'.repeat(64) });

/** A structurally complete manifest; tests break one key at a time. */
function sample(): Record<string, any> {
  const variant = (c: (typeof COMPONENTS)[number]) => ({ graph: file(onnxPath(c, 'q4')), externalData: [file(`${onnxPath(c, 'q4')}_data`)] });
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    source: 'ckpt',
    dtypes: ['q4'],
    quantization: { blockSize: 32, minQuantK: 32 },
    components: Object.fromEntries(COMPONENTS.map((c) => [c, { inputs: [{ name: 'x', dtype: 'float32', dims: [1, 'n'] }], outputs: [], variants: { q4: variant(c) } }])),
    config: { text: {}, vision: {}, davit: {}, region: {}, ids: {} },
    tokens: { bos: 1, eos: [2], imStart: 3, imEnd: 2, visionStart: 4, visionEnd: 5, imagePad: 6, regions: null, ground: [7, 8], objects: null },
    image: {
      maxLongSide: 2048,
      minSide: 28,
      semantic: { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], patchSize: 14, temporalPatchSize: 2, mergeSize: 2, minPixels: 3136, maxPixels: 1e7 },
      perception: { mean: [0.5, 0.5, 0.5], std: [0.2, 0.2, 0.2], aspectMode: 'dynamic', squashSize: 768, dynamicSquareSizes: [768] },
    },
    tokenizer: { source: 'tokenizer.json', files: [file('tokenizer.json')] },
  };
}

describe('validateManifest', () => {
  it('accepts a complete manifest', () => {
    expect(validateManifest(sample()).components.decoder_model_merged.variants.q4?.graph.path).toBe('onnx/decoder_model_merged_q4.onnx');
  });

  it.each([
    ['a newer version', (m: any) => (m.version = MANIFEST_VERSION + 1), new RegExp(`version ${MANIFEST_VERSION + 1} is not supported`)],
    ['a folder from before region_pyramid', (m: any) => ((m.version = 1), delete m.components.region_pyramid), /version 1: this model folder was converted by an older converter \(it has no region_pyramid graph\): re-convert it/],
    ['an unknown dtype', (m: any) => (m.dtypes = ['int3']), /unknown dtype "int3"/],
    ['a missing component', (m: any) => delete m.components.region_encoder, /components\.region_encoder must be an object/],
    ['a dtype without its graph', (m: any) => delete m.components.embed_tokens.variants.q4, /components\.embed_tokens\.variants\.q4 must be an object/],
    ['a path leaving the folder', (m: any) => (m.tokenizer.files[0].path = '../secret'), /tokenizer\.files\[0\]\.path "\.\.\/secret" must stay inside/],
    ['a bad sha256', (m: any) => (m.components.decoder_model_merged.variants.q4.externalData[0].sha256 = 'xyz'), /externalData\[0\]\.sha256 must be 64 hex digits/],
    ['a non-numeric region id', (m: any) => (m.tokens.regions = [1, 'two']), /tokens\.regions\[1\] must be a number/],
    ['two-channel means', (m: any) => (m.image.semantic.mean = [0.5, 0.5]), /image\.semantic\.mean must have 3 channels/],
    ['a shared data file listed with another hash', (m: any) => m.components.decoder_model_merged.variants.q4.externalData.push({ ...file('onnx/embed_tokens_q4.onnx_data'), sha256: 'b'.repeat(64) }), /decoder_model_merged\.variants\.q4\.externalData\[1\] lists onnx\/embed_tokens_q4\.onnx_data with other bytes or sha256 than components\.embed_tokens/],
  ])('rejects %s, naming the key', (_what, edit, message) => {
    const m = sample();
    edit(m);
    expect(() => validateManifest(m)).toThrow(ManifestError);
    expect(() => validateManifest(m)).toThrow(message);
  });

  it('calls a folder from an older converter outdated, not malformed', () => {
    const m = sample();
    m.version = 1;
    expect(() => validateManifest(m)).toThrow(OutdatedManifestError);
  });
});

describe('manifestFiles', () => {
  it('lists a data file shared by two graphs once', () => {
    const m = sample();
    m.components.decoder_model_merged.variants.q4.externalData.push(file('onnx/embed_tokens_q4.onnx_data'));
    const paths = manifestFiles(validateManifest(m), 'q4').map((f) => f.path);
    expect(paths.filter((p) => p === 'onnx/embed_tokens_q4.onnx_data')).toHaveLength(1);
    expect(paths).toHaveLength(2 * COMPONENTS.length + 1);
  });
});
