import { defineConfig } from 'vitest/config';

// Unit and integration tests run in Node: onnxruntime-web uses its wasm backend there.
export default defineConfig({
  test: {
    include: ['{src,workers,converter,reference,bench}/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
