// One helper thread of the int4 kernels (kernels.ts). Plain JavaScript so that Node's worker_threads
// can load it without a TypeScript loader; the browser build bundles it as a module worker.
//
// It instantiates the kernels on the shared memory it is sent, then loops: wait for the control block's
// generation to change, run its share (thread index, thread count) of the kernel named there, count itself
// done. It never returns to the event loop, so it needs no messages after the first.
import { SpinWait } from './spin-wait.mjs';

const CONTROL = { generation: 0, op: 1, argc: 2, threads: 3, done: 4, args: 8 };

async function serve({ module, memory, control, thread, ops }, reply) {
  const { exports } = await WebAssembly.instantiate(module, { env: { memory, abort: () => { throw new Error('int4 kernel abort'); } } });
  const ctl = new Int32Array(control);
  let seen = Atomics.load(ctl, CONTROL.generation);
  const waiter = new SpinWait();
  reply('ready');
  for (;;) {
    waiter.until(ctl, CONTROL.generation, (generation) => generation !== seen);
    seen = Atomics.load(ctl, CONTROL.generation);
    const op = ctl[CONTROL.op];
    if (op < 0) return;
    const args = Array.from(ctl.subarray(CONTROL.args, CONTROL.args + ctl[CONTROL.argc]));
    exports[ops[op]](...args, thread, ctl[CONTROL.threads]);
    Atomics.add(ctl, CONTROL.done, 1);
    Atomics.notify(ctl, CONTROL.done);
  }
}

if (typeof WorkerGlobalScope !== 'undefined') {
  self.onmessage = (e) => serve(e.data, (m) => self.postMessage(m));
} else {
  const { parentPort } = await import(/* @vite-ignore */ 'node:worker_threads');
  parentPort.once('message', (data) => serve(data, (m) => parentPort.postMessage(m)).then(() => parentPort.close()));
}
