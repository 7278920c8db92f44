// Worker entry: messages in → dispatcher → engine → events out (src/protocol/dispatcher.ts).
import { Dispatcher } from '../src/protocol/dispatcher.ts';
import { NoModelEngine } from './no-model-engine.ts';

const dispatcher = new Dispatcher(new NoModelEngine(), (event) => self.postMessage(event));
self.addEventListener('message', (e: MessageEvent<unknown>) => dispatcher.receive(e.data));
