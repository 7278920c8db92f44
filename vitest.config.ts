import { defineConfig } from 'vitest/config';
import { relaxedSimdNodeFlags } from './src/engine/decode/int4/node-flags.ts';

// Unit and integration tests run in Node: onnxruntime-web uses its wasm backend there.
export default defineConfig({
  test: {
    include: ['{src,workers,converter,fixtures,reference,bench}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Relaxed SIMD on (Node 20 has it behind a flag), so that the tests run the int4 kernels' relaxed build, the
    // one Chrome runs (src/engine/decode/int4/kernels.ts).
    execArgv: relaxedSimdNodeFlags(),
  },
});
