// One benchmark task in a fresh process: `node <run.ts CHILD_NODE_FLAGS> bench/child.ts <task> <runtime[:threads]> '<json args>'`.
// A process per runtime/thread count because ORT-web fixes its thread pool (and its wasm heap, whose peak we
// report) per process. Prints progress on stderr and one JSON line, the result, on stdout.

import { loadavg } from 'node:os';
import { openRuntime, parseRuntimeSpec } from './runtime.ts';
import { TASKS } from './tasks.ts';

async function main(): Promise<void> {
  const [task, runtime, args = '{}'] = process.argv.slice(2);
  const run = TASKS[task as keyof typeof TASKS];
  if (!run) throw new Error(`unknown task "${task}"; expected one of ${Object.keys(TASKS).join(', ')}`);
  const loadStart = loadavg()[0];
  const rt = await openRuntime(parseRuntimeSpec(runtime));
  const result = await run(rt, JSON.parse(args));
  // The machine is shared: the 1-minute load average at the start and end says how busy it was.
  const loadAverage = [loadStart, loadavg()[0]].map((x) => Math.round(x * 10) / 10);
  process.stdout.write(JSON.stringify({ ...result, loadAverage, peakWasmBytes: rt.wasmMemoryBytes(), peakRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
  process.exit(0); // ORT-web's worker threads would keep the process alive
}

main().catch((e: Error) => {
  process.stderr.write(`bench child: ${e.stack ?? e.message}\n`);
  // the parent reports the last stdout line of a failed child: make it the reason
  process.stdout.write(`${e.message.split('\n')[0]}\n`);
  process.exit(1);
});
