// The page's connection to the engine worker: plain functions over the store (zustand's "no store
// actions" practice), so components and the image intake call them without hooks. The worker is an
// `Engine` to this module (EngineClient); nothing here knows about messages.

import { EngineClient } from '../../protocol/client.ts';
import { EngineError } from '../../protocol/errors.ts';
import { selectPixelBoxes, selectPreset, selectSelectedIndices } from '../store/selectors.ts';
import { appStore } from '../store/store.ts';

/** Tokens a question may produce before the engine stops it. */
const MAX_NEW_TOKENS = 512;

let client: EngineClient | null = null;

function engine(): EngineClient {
  if (client) return client;
  const worker = new Worker(new URL('../../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'fo1-engine' });
  const c = new EngineClient(worker);
  worker.addEventListener('error', (e) => {
    // The worker script itself failed (a load or syntax error): nothing in flight will ever answer.
    c.failAll(new EngineError('internal', `the engine worker failed: ${e.message || 'could not start'}`));
  });
  client = c;
  return c;
}

export async function probeBackends(): Promise<void> {
  const { setProbe, showError } = appStore.getState();
  setProbe({ kind: 'probing' });
  try {
    setProbe({ kind: 'done', report: await engine().probe() });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    setProbe({ kind: 'failed', message });
    showError({ title: 'Could not check the compute backends', message, retry: () => void probeBackends() });
  }
}

export async function askQuestion(): Promise<void> {
  const s = appStore.getState();
  if (!s.image || s.asking) return;
  const controller = new AbortController();
  s.startAnswer(controller);
  try {
    const answer = await engine().ask(
      {
        imageId: s.image.id,
        image: { kind: 'bitmap', bitmap: s.image.bitmap },
        boxes: selectPixelBoxes(s),
        regions: selectSelectedIndices(s),
        task: selectPreset(s).toTask(s.text.trim()),
        generation: { maxNewTokens: MAX_NEW_TOKENS },
      },
      (token) => appStore.getState().appendToken(token),
      controller.signal,
    );
    appStore.getState().finishAnswer(answer);
  } catch (e) {
    appStore.getState().finishAnswer(null);
    if (e instanceof EngineError && e.code === 'cancelled') return; // the user pressed Stop
    appStore.getState().showError({ title: 'The question could not be answered', message: e instanceof Error ? e.message : String(e), retry: () => void askQuestion() });
  }
}

export function stopAsking(): void {
  appStore.getState().asking?.abort();
}
