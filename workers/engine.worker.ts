// Worker entry: messages in → dispatcher → engine → events out (src/protocol/dispatcher.ts).
// The engine is the real one (src/engine/engine.ts) on this worker's ORT instance; models fetched from a
// URL are kept in Cache Storage for offline reuse.
import { Fo1Engine } from '../src/engine/engine.ts';
import { bitmapToRgb } from '../src/engine/image/decode-browser.ts';
import { Dispatcher } from '../src/protocol/dispatcher.ts';
import { probeBackends } from './backend-probe.ts';
import { ort } from './ort.ts';

const MODEL_CACHE = 'fo1-web-models';

const engine = new Fo1Engine({
  ort,
  bitmapToRgb,
  probe: probeBackends,
  cache: async () => ('caches' in globalThis ? caches.open(MODEL_CACHE) : undefined),
});
const dispatcher = new Dispatcher(engine, (event) => self.postMessage(event));
self.addEventListener('message', (e: MessageEvent<unknown>) => dispatcher.receive(e.data));
