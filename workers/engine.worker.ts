// Worker entry: messages in → dispatcher → engine and model library → events out (src/protocol/dispatcher.ts).
import { Dispatcher } from '../src/protocol/dispatcher.ts';
import { BrowserEngine } from './browser-engine.ts';
import { openModelCache } from './model-cache.ts';
import { CacheModelLibrary } from './model-library.ts';

const dispatcher = new Dispatcher(new BrowserEngine(), (event) => self.postMessage(event), new CacheModelLibrary(openModelCache));
self.addEventListener('message', (e: MessageEvent<unknown>) => dispatcher.receive(e.data));
