// relaxedSimdNodeFlags is judged by what it is for: a fresh Node started with its flags has relaxed SIMD.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { relaxedSimdNodeFlags } from './node-flags.ts';
import { KERNELS_WASM_BASE64 } from './kernels.wasm.ts';

describe('relaxedSimdNodeFlags', () => {
  it('gives the flags under which a fresh Node validates the kernels\' relaxed-SIMD build', () => {
    const flags = relaxedSimdNodeFlags();
    const check = `process.exit(WebAssembly.validate(Buffer.from('${KERNELS_WASM_BASE64['relaxed-simd']}', 'base64')) ? 0 : 1)`;
    expect(spawnSync(process.execPath, [...flags, '-e', check]).status).toBe(0);
    // Node 20 needs the flag; a Node with relaxed SIMD on by default needs none
    const plain = spawnSync(process.execPath, ['-e', check]).status === 0;
    expect(flags).toEqual(plain ? [] : ['--experimental-wasm-relaxed-simd']);
  });
});
