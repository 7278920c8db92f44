// The Node flags a fresh Node process needs for the int4 kernels' relaxed-SIMD build (kernels.ts). Node 20 has
// wasm relaxed SIMD behind --experimental-wasm-relaxed-simd (Chrome has had it on since 114; newer Nodes have
// it on), and only the command line turns it on without cost: setting it at run time with v8.setFlagsFromString
// was measured to slow the plain build's decode by ~45%. A Node that has dropped the flag would refuse to
// start with it, so it is asked for only where a plain Node lacks relaxed SIMD and a Node with the flag has it.
import { spawnSync } from 'node:child_process';

const FLAG = '--experimental-wasm-relaxed-simd';

/** The smallest module that needs relaxed SIMD: one function returning i16x8.relaxed_dot_i8x16_i7x16_s(0, 0). */
function probeModule(): number[] {
  const zeros = Array(16).fill(0);
  const body = [0x00, 0xfd, 0x0c, ...zeros, 0xfd, 0x0c, ...zeros, 0xfd, 0x92, 0x02, 0x0b]; // no locals; v128.const ×2; the dot (0xfd 0x112); end
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b]; // one type: () → v128
  const funcs = [0x03, 0x02, 0x01, 0x00];
  return [...header, ...types, ...funcs, 0x0a, body.length + 2, 0x01, body.length, ...body];
}

/** Whether `node <flags>` validates relaxed SIMD (false too where Node refuses the flags). */
function nodeHasRelaxedSimd(flags: string[]): boolean {
  const check = `process.exit(WebAssembly.validate(new Uint8Array([${probeModule().join(',')}])) ? 0 : 1)`;
  return spawnSync(process.execPath, [...flags, '-e', check], { stdio: 'ignore' }).status === 0;
}

let cached: string[] | undefined;

/** [] where Node has relaxed SIMD on (or no flag gives it), else the flag that turns it on. */
export function relaxedSimdNodeFlags(): string[] {
  cached ??= nodeHasRelaxedSimd([]) || !nodeHasRelaxedSimd([FLAG]) ? [] : [FLAG];
  return cached;
}

/**
 * For a command-line entry point: where this process lacks the flags, runs the same command again with them
 * (stdio shared) and exits with its status; else returns, and the command runs here.
 */
export function relaunchWithRelaxedSimd(): void {
  const missing = relaxedSimdNodeFlags().filter((f) => !process.execArgv.includes(f));
  if (!missing.length) return;
  const r = spawnSync(process.execPath, [...missing, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
