// The results actions: copy an answer, download the results JSON and the annotated PNG of the current image.

import { messageOf } from '../engine/bridge.ts';
import { overlayItems } from '../overlay/items.ts';
import type { Turn } from '../store/askSlice.ts';
import { selectOverlayInput } from '../store/selectors.ts';
import { appStore } from '../store/store.ts';
import { renderPng } from './render-png.ts';
import { resultsJson } from './results.ts';

export async function copyAnswer(turn: Turn): Promise<void> {
  try {
    await navigator.clipboard.writeText(turn.answer?.text ?? turn.text);
  } catch (e) {
    appStore.getState().showError({ title: 'Could not copy the answer', message: messageOf(e), retry: () => void copyAnswer(turn) });
  }
}

function baseName(): string {
  return (appStore.getState().image?.name ?? 'image').replace(/\.[^.]+$/, '');
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function exportJson(): void {
  const s = appStore.getState();
  if (!s.image) return;
  const model = s.model.kind === 'ready' ? s.model.ready.modelId : null;
  const json = resultsJson({ model, image: s.image, boxes: s.boxes, turns: s.turns });
  download(new Blob([JSON.stringify(json, null, 2)], { type: 'application/json' }), `${baseName()}-fo1.json`);
}

export async function exportPng(): Promise<void> {
  const s = appStore.getState();
  if (!s.image) return;
  try {
    // The PNG shows what the screen shows, minus the pointer's hover.
    download(await renderPng(s.image.bitmap, overlayItems({ ...selectOverlayInput(s), hovered: null })), `${baseName()}-fo1.png`);
  } catch (e) {
    s.showError({ title: 'Could not export the PNG', message: messageOf(e), retry: () => void exportPng() });
  }
}
