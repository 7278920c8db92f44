// The page's connection to the engine worker: plain functions over the store (zustand's "no store
// actions" practice), so components and the image intake call them without hooks. The worker is an
// `Engine` and a `ModelLibrary` to this module (EngineClient); nothing here knows about messages.

import { EngineClient } from '../../protocol/client.ts';
import { EngineError } from '../../protocol/errors.ts';
import { presetById } from '../ask/presets.ts';
import { selectPixelBoxes, selectPreset, selectSelectedIndices } from '../store/selectors.ts';
import { appStore, type AppState } from '../store/store.ts';
import type { MeasureOptions } from '../../protocol/messages.ts';

let client: EngineClient | null = null;

export function engine(): EngineClient {
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

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function probeBackends(): Promise<void> {
  const { setProbe, showError } = appStore.getState();
  setProbe({ kind: 'probing' });
  try {
    setProbe({ kind: 'done', report: await engine().probe() });
  } catch (e) {
    const message = messageOf(e);
    setProbe({ kind: 'failed', message });
    showError({ title: 'Could not check the compute backends', message, retry: () => void probeBackends() });
  }
}

/** Asks the detector for boxes on the current image ("finding objects…"); drawn boxes stay. */
export async function proposeBoxes(): Promise<void> {
  const s = appStore.getState();
  if (!s.image || s.model.kind !== 'ready') return;
  const image = s.image;
  s.setProposalStatus({ kind: 'finding' });
  try {
    const proposals = await engine().propose({ imageId: image.id, image: { kind: 'bitmap', bitmap: image.bitmap } });
    if (appStore.getState().image?.id === image.id) appStore.getState().setProposals(image.id, proposals);
  } catch (e) {
    if (appStore.getState().image?.id !== image.id) return;
    const why = e instanceof EngineError && e.code === 'not-available' ? messageOf(e) : `finding objects failed: ${messageOf(e)}`;
    appStore.getState().setProposalStatus({ kind: 'unavailable', message: why });
  }
}

/** Proposes boxes whenever a new image meets a ready model (either may come first). */
export function proposeAutomatically(): () => void {
  let last = '';
  return appStore.subscribe((s) => {
    const key = s.image && s.model.kind === 'ready' ? `${s.image.id}\n${s.model.ready.modelId}` : '';
    if (key === last) return;
    last = key;
    if (key) void proposeBoxes();
  });
}

/** The wait before preparing a changed box set: a person dragging the score slider or drawing boxes changes it many times. */
const PREPARE_DELAY_MS = 400;

/**
 * Gets the engine ready for questions about the image and the boxes on screen (Engine.prepare) once the
 * proposals are in, and again a moment after the boxes or the detail level change, so the encoders and the
 * prompt's prefix run while the person picks a box and types; the question then reuses them. A change (or a
 * new image) cancels the prepare that is no longer needed; a prepare that fails only says so, since the
 * question would meet and report the same problem.
 */
export function prepareAutomatically(): () => void {
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: AbortController | null = null;
  return appStore.subscribe((s) => {
    const image = s.image;
    const settled = image !== null && s.model.kind === 'ready' && (s.proposalStatus.kind === 'done' || s.proposalStatus.kind === 'unavailable');
    const boxes = selectPixelBoxes(s);
    const key = settled ? JSON.stringify([image.id, s.model.kind === 'ready' ? s.model.ready.modelId : '', boxes, s.detail]) : '';
    if (key === last) return;
    last = key;
    clearTimeout(timer);
    running?.abort();
    running = null;
    if (!settled) {
      if (s.preparation.kind !== 'idle') s.setPreparation({ kind: 'idle' });
      return;
    }
    timer = setTimeout(() => {
      const controller = new AbortController();
      running = controller;
      const { setPreparation } = appStore.getState();
      setPreparation({ kind: 'preparing', boxes: boxes.length });
      engine()
        .prepare({ imageId: image.id, image: { kind: 'bitmap', bitmap: image.bitmap }, boxes, ...(s.detail ? { detail: s.detail } : {}) }, controller.signal)
        .then(
          (prepared) => running === controller && setPreparation({ kind: 'ready', prepared, boxes: boxes.length }),
          (e: unknown) => {
            if (running !== controller) return; // replaced by a newer prepare, which reports for itself
            setPreparation(e instanceof EngineError && e.code === 'cancelled' ? { kind: 'idle' } : { kind: 'failed', message: messageOf(e) });
          },
        )
        .finally(() => {
          if (running === controller) running = null;
        });
    }, PREPARE_DELAY_MS);
  });
}

/**
 * The question as composed in the box now, as the engine takes it (ask adds its generation settings). The
 * detail level goes with it: the image's token count, and so the budget, depend on it.
 */
function composedQuestion(s: AppState, image: NonNullable<AppState['image']>): MeasureOptions {
  return { imageId: image.id, image: { kind: 'bitmap', bitmap: image.bitmap }, boxes: selectPixelBoxes(s), regions: selectSelectedIndices(s), task: selectPreset(s).toTask(s.text.trim()), ...(s.detail ? { detail: s.detail } : {}) };
}

/**
 * Counts the composed question against the context whenever it changes (the question box's budget), a
 * moment after the last keystroke; only the latest count is kept. A question the engine refuses for another
 * reason (no box selected yet, empty text) has no count: the Ask button says why.
 */
export function measureAutomatically(): () => void {
  let last = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;
  return appStore.subscribe((s) => {
    const image = s.image;
    const ready = image !== null && s.model.kind === 'ready' && !(selectPreset(s).input && s.text.trim() === '');
    const key = ready ? JSON.stringify([image.id, s.model.kind === 'ready' ? s.model.ready.modelId : '', s.presetId, s.text.trim(), selectSelectedIndices(s), selectPixelBoxes(s), s.detail]) : '';
    if (key === last) return;
    last = key;
    clearTimeout(timer);
    const run = ++latest;
    if (!ready) {
      if (s.budget) s.setBudget(null);
      return;
    }
    timer = setTimeout(() => {
      engine()
        .measure(composedQuestion(appStore.getState(), image))
        .then(
          (budget) => run === latest && appStore.getState().setBudget(budget),
          () => run === latest && appStore.getState().setBudget(null),
        );
    }, 150);
  });
}

export async function askQuestion(): Promise<void> {
  const s = appStore.getState();
  if (!s.image || s.asking) return;
  const preset = selectPreset(s);
  const question = composedQuestion(s, s.image);
  const { task, regions, boxes } = question;
  const text = s.text.trim();
  const controller = new AbortController();
  const turnId = s.startTurn({ question: preset.input ? `${presetById(preset.id).label.replace(/ …$/, '')}: ${text}` : preset.label, task, regions, boxIds: s.boxes.map((b) => b.id), boxes }, controller);
  try {
    const answer = await engine().ask(
      { ...question, generation: { maxNewTokens: s.maxNewTokens } },
      (token) => appStore.getState().appendToken(turnId, token),
      controller.signal,
      (change) => {
        appStore.getState().applyBackendChange(change);
        appStore.getState().restartAnswer(turnId);
      },
    );
    appStore.getState().finishTurn(turnId, { answer });
  } catch (e) {
    if (e instanceof EngineError && e.code === 'cancelled') {
      appStore.getState().finishTurn(turnId, { status: 'stopped' }); // the user pressed Stop
      return;
    }
    appStore.getState().finishTurn(turnId, { status: 'failed', error: messageOf(e) });
    appStore.getState().showError({ title: 'The question could not be answered', message: messageOf(e), retry: () => void askQuestion() });
  }
}

export function stopAsking(): void {
  appStore.getState().asking?.abort();
}
