import { describe, expect, it } from 'vitest';
import { checkGraphNames, decoderIO, GraphContractError, isKvName, kvSlots, pastName, presentName, REGION_ENCODER_IO } from './graph-io.ts';

const text = { hiddenSize: 8, intermediateSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 4, vocabSize: 32, rmsNormEps: 1e-6, ropeTheta: 1e4, mropeSection: [1, 0, 1] as const, tieWordEmbeddings: true };
const names = (io: { inputs: readonly { name: string }[]; outputs: readonly { name: string }[] }) => ({ inputNames: io.inputs.map((v) => v.name), outputNames: io.outputs.map((v) => v.name) });

describe('graph I/O contract', () => {
  it('names the KV cache per layer in I/O order, and tells KV names from the rest', () => {
    expect(kvSlots(2).map(([i, k]) => pastName(i, k))).toEqual(['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value']);
    const io = decoderIO(text);
    expect(io.outputs.map((v) => v.name)).toEqual(['logits', presentName(0, 'key'), presentName(0, 'value'), presentName(1, 'key'), presentName(1, 'value')]);
    expect(io.inputs.filter((v) => isKvName(v.name)).length).toBe(4);
    expect(isKvName('position_ids')).toBe(false);
  });

  it('accepts a session with exactly the contract\'s names, in any order', () => {
    const got = names(REGION_ENCODER_IO);
    expect(() => checkGraphNames('region_encoder', REGION_ENCODER_IO, { inputNames: [...got.inputNames].reverse(), outputNames: got.outputNames })).not.toThrow();
  });

  it('names the graph and the missing or unexpected name', () => {
    const got = names(decoderIO(text));
    const noMask = { ...got, inputNames: got.inputNames.filter((n) => n !== 'attention_mask') };
    expect(() => checkGraphNames('decoder_model_merged', decoderIO(text), noMask)).toThrow(GraphContractError);
    expect(() => checkGraphNames('decoder_model_merged', decoderIO(text), noMask)).toThrow(/^decoder_model_merged: the graph has no input attention_mask /);
    const extra = { ...got, outputNames: [...got.outputNames, 'hidden_states'] };
    expect(() => checkGraphNames('decoder_model_merged', decoderIO(text), extra)).toThrow('decoder_model_merged: unexpected output hidden_states, which the decoder_model_merged contract does not have; re-convert the model');
  });
});
