// Worker entry: messages in → dispatcher → engine and model library → events out (src/protocol/dispatcher.ts).
import { Dispatcher } from '../src/protocol/dispatcher.ts';
import { BrowserEngine } from './browser-engine.ts';
import { ConvertedModels, withConverted } from './converted-models.ts';
import { openModelCache } from './model-cache.ts';
import { CacheModelLibrary } from './model-library.ts';

const converted = new ConvertedModels(() => navigator.storage.getDirectory());
const dispatcher = new Dispatcher(new BrowserEngine(converted), (event) => self.postMessage(event), withConverted(new CacheModelLibrary(openModelCache), converted));
self.addEventListener('message', (e: MessageEvent<unknown>) => dispatcher.receive(e.data));
