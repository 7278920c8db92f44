import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node: onnxruntime-web uses its wasm backend there.
export default defineConfig({
  test: {
    include: ['{src,workers,converter,reference,bench}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Node 20 ships wasm relaxed SIMD behind a flag (Chrome has had it on since 114): on, so that the tests run
    // the int4 kernels' relaxed build, the one Chrome runs (src/engine/decode/int4/kernels.ts).
    execArgv: ['--experimental-wasm-relaxed-simd'],
  },
});
