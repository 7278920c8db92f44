// The worker's engine until the model engine (src/engine/) lands: the backend probe is real, and every
// model request fails with a typed error saying so. It never pretends to answer.

import type { Engine } from '../src/protocol/engine.ts';
import { EngineError } from '../src/protocol/errors.ts';
import type { ProbeReport } from '../src/protocol/messages.ts';
import { probeBackends } from './backend-probe.ts';

export class NoModelEngine implements Engine {
  probe(): Promise<ProbeReport> {
    return probeBackends();
  }

  async load(): Promise<never> {
    throw new EngineError('not-available', 'loading models is not available yet: this build has no model engine');
  }

  async propose(): Promise<never> {
    throw new EngineError('no-model', 'no model loaded: box proposals need the detector of a model folder');
  }

  async ask(): Promise<never> {
    throw new EngineError('no-model', 'no model loaded: load a model before asking');
  }

  async dispose(): Promise<void> {
    // Holds no sessions: the probe releases its own.
  }
}
