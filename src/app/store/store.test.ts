import { describe, expect, it } from 'vitest';
import { selectFallbackNote, selectModelBackend, selectSelectedIndices } from './selectors.ts';
import { MAX_REGIONS } from '../../model-folder/config.ts';
import { createAppStore } from './store.ts';

const box = (x: number) => ({ x1: x, y1: 0, x2: x + 10, y2: 10 });

describe('app store: boxes and selection', () => {
  it('selects a newly drawn box alone, and toggles with additive selection', () => {
    const store = createAppStore();
    const s = store.getState;
    s().addBox(box(0));
    s().addBox(box(20));
    s().addBox(box(40));
    expect(selectSelectedIndices(s())).toEqual([2]);
    s().selectBox(0, true);
    expect(selectSelectedIndices(s())).toEqual([0, 2]); // ascending region order, whatever the click order
    s().selectBox(2, true);
    expect(selectSelectedIndices(s())).toEqual([0]);
    s().selectBox(1, false);
    expect(selectSelectedIndices(s())).toEqual([1]);
  });

  it('removes the selection, or the focused box when nothing is selected, renumbering regions', () => {
    const store = createAppStore();
    const s = store.getState;
    [0, 20, 40].forEach((x) => s().addBox(box(x)));
    s().selectBox(0, false);
    s().removeSelectedOr(2);
    expect(s().boxes.map((b) => b.box.x1)).toEqual([20, 40]);
    expect(s().selected).toEqual([]);
    s().removeSelectedOr(1);
    expect(s().boxes.map((b) => b.box.x1)).toEqual([20]);
    s().clearBoxes();
    expect(s().boxes).toEqual([]);
  });

  it('updates one box in place and keeps selection by identity', () => {
    const store = createAppStore();
    const s = store.getState;
    s().addBox(box(0));
    s().addBox(box(20));
    s().updateBox(0, box(5));
    expect(s().boxes[0].box).toEqual(box(5));
    expect(selectSelectedIndices(s())).toEqual([1]);
  });
});

describe('app store: the model moving from WebGPU to WASM mid-answer', () => {
  const gpu = [{ session: 'embed_tokens', backend: 'webgpu' as const, reason: 'WebGPU adapter: SwiftShader' }, { session: 'decoder_q4', backend: 'webgpu' as const, reason: 'WebGPU adapter: SwiftShader' }];
  const change = { cause: 'WebGPU device lost (destroyed: Device was destroyed.)', sessions: gpu.map((x) => ({ ...x, backend: 'wasm' as const, reason: 'WebGPU device lost (destroyed); continuing on wasm' })) };
  const demo = { source: { kind: 'url' as const, url: '/models/demo/' }, label: 'Demo model', demo: true };

  it('takes the sessions the engine reports, and says why the model now runs on WASM', () => {
    const s = createAppStore().getState;
    s().setModelPhase({ kind: 'ready', choice: demo, ready: { modelId: '/models/demo/', sessions: gpu } });
    expect(selectModelBackend(s())).toBe('webgpu');
    expect(selectFallbackNote(s())).toBeNull();
    s().applyBackendChange(change);
    expect(selectModelBackend(s())).toBe('wasm');
    expect(selectFallbackNote(s())).toBe('WebGPU device lost (destroyed: Device was destroyed.) — continued on WASM');
    const model = s().model;
    expect(model.kind === 'ready' && model.ready.sessions).toEqual(change.sessions);
  });

  it('ignores a change that arrives when no model is ready (it belonged to one already replaced)', () => {
    const s = createAppStore().getState;
    s().applyBackendChange(change);
    expect(s().model).toEqual({ kind: 'choosing' });
    expect(selectFallbackNote(s())).toBeNull();
  });

  it('voids the text streamed before the move, and keeps what streams after it', () => {
    const s = createAppStore().getState;
    const id = s().startTurn({ question: 'Describe region (brief)', task: { preset: 'region-caption-brief' }, regions: [0], boxIds: ['b0'], boxes: [box(0)] }, new AbortController());
    s().appendToken(id, 'a red ');
    s().restartAnswer(id);
    s().appendToken(id, 'a blue car');
    expect(s().turns[0]).toMatchObject({ text: 'a blue car', status: 'streaming' });
  });
});

describe('app store: loading stages', () => {
  const demo = { source: { kind: 'url' as const, url: '/models/demo/' }, label: 'Demo model', demo: true };

  it('keeps when each stage began (repeated events of one stage do not restart it) and where the warm-up runs', () => {
    const s = createAppStore().getState;
    s().startLoading(demo, null, 100);
    s().applyLoadProgress({ stage: 'download', file: 'model.json', bytesDone: 10, bytesTotal: 20 }, 150);
    expect(s().model).toMatchObject({ kind: 'loading', stage: 'download', stageSince: 100 });
    s().applyLoadProgress({ stage: 'compile', session: 'vision_semantic' }, 200);
    s().applyLoadProgress({ stage: 'compile', session: 'decoder_model_merged' }, 300);
    expect(s().model).toMatchObject({ stage: 'compile', stageSince: 200, detail: 'decoder_model_merged' });
    s().applyLoadProgress({ stage: 'warmup', backend: 'webgpu' }, 400);
    expect(s().model).toMatchObject({ stage: 'warmup', stageSince: 400, warmupBackend: 'webgpu' });
  });
});

describe('app store: at most MAX_REGIONS boxes, drawn ones first', () => {
  const proposals = (n: number) => Array.from({ length: n }, (_, i) => ({ box: box(i), score: 0.9 - i * 0.001 }));

  it('shows proposals only up to the room the drawn boxes leave, and a new drawn box replaces the lowest-scoring one', () => {
    const s = createAppStore().getState;
    s().setMinScore(0);
    s().setProposals('img', proposals(MAX_REGIONS + 20));
    expect(s().boxes).toHaveLength(MAX_REGIONS);
    const lowest = s().boxes[MAX_REGIONS - 1];
    s().addBox(box(500));
    expect(s().boxes).toHaveLength(MAX_REGIONS);
    expect(s().boxes.map((b) => b.id)).not.toContain(lowest.id);
    expect(s().boxes.at(-1)).toMatchObject({ source: 'drawn', box: box(500) });
    expect(selectSelectedIndices(s())).toEqual([MAX_REGIONS - 1]);
    // Proposing again keeps the drawn box and leaves it its place.
    s().setProposals('img', proposals(MAX_REGIONS + 20));
    expect(s().boxes).toHaveLength(MAX_REGIONS);
    expect(s().boxes.filter((b) => b.source === 'drawn')).toHaveLength(1);
  });
});
