// The boxes drawn over the image: one SVG whose viewBox is the image's pixel grid, so boxes are stored and
// drawn in image coordinates and stay crisp at any size. Strokes, badges and handles keep a constant
// screen size (non-scaling strokes; badge/handle sizes divided by `scale`). All interaction logic lives in
// ../overlay/gesture.ts and ../overlay/keyboard.ts; this component turns DOM events into their calls.

import { memo, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { unreachable, type PixelBox } from '../../protocol/messages.ts';
import { HANDLES, handlePoint, isHandle, roundBox, screenPoint, toImage, viewportOf, type Size } from '../overlay/geometry.ts';
import { IDLE, draftOf, pointerDown, pointerMove, pointerUp, type Edit, type Gesture, type Pointer, type Step, type Target } from '../overlay/gesture.ts';
import { overlayItems } from '../overlay/items.ts';
import { isAdditive, keyCommand } from '../overlay/keyboard.ts';
import { selectBoxes, selectOverlayInput, selectPixelBoxes } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';

const HANDLE_PX = 10;
const BADGE_H_PX = 18;

function describeBox(index: number, b: PixelBox, selected: boolean, labels: readonly string[]): string {
  const r = roundBox(b);
  const named = labels.filter((l) => l !== '');
  const cited = labels.length === 0 ? '' : named.length > 0 ? `, cited as ${named.join(', ')}` : ', cited';
  return `Region ${index}: ${r.x2 - r.x1}×${r.y2 - r.y1} pixels at ${r.x1}, ${r.y1}${selected ? ', selected' : ''}${cited}`;
}

/** What the pointer went down on, read from the data attributes the boxes and handles carry. */
function targetOf(el: EventTarget): Target {
  if (!(el instanceof Element)) return { kind: 'empty' };
  const handle = el.closest<SVGElement>('[data-handle]')?.dataset;
  if (handle && isHandle(handle.handle)) return { kind: 'handle', index: Number(handle.index), handle: handle.handle };
  const box = el.closest<SVGElement>('[data-index]');
  if (box) return { kind: 'box', index: Number(box.dataset.index), selected: box.dataset.selected !== undefined };
  return { kind: 'empty' };
}

function applyEdits(edits: Edit[]): void {
  const s = appStore.getState();
  for (const e of edits) {
    switch (e.kind) {
      case 'add': s.addBox(e.box); break;
      case 'update': s.updateBox(e.index, e.box); break;
      case 'select': s.selectBox(e.index, e.additive); break;
      case 'clear-selection': s.clearSelection(); break;
      default: unreachable(e);
    }
  }
}

export const BoxOverlay = memo(function BoxOverlay({ image, scale }: { image: Size; scale: number }) {
  const boxes = useApp(selectBoxes);
  const pixelBoxes = useApp(useShallow(selectPixelBoxes));
  const input = useApp(useShallow(selectOverlayInput));
  const items = useMemo(() => overlayItems(input), [input]);
  const { setHovered } = appStore.getState();
  const svgRef = useRef<SVGSVGElement>(null);
  const boxRefs = useRef<(SVGGElement | null)[]>([]);
  const gesture = useRef<Gesture>(IDLE);
  const [draft, setDraft] = useState<PixelBox | null>(null);

  const pointerAt = (e: PointerEvent): Pointer => {
    const screen = screenPoint(e.clientX, e.clientY);
    return { screen, image: toImage(screen, viewportOf(svgRef.current!.getBoundingClientRect(), image)) };
  };
  const apply = (step: Step): void => {
    gesture.current = step.gesture;
    setDraft(draftOf(step.gesture));
    applyEdits(step.edits);
  };

  const onPointerDown = (e: PointerEvent<SVGSVGElement>): void => {
    if (e.button !== 0) return;
    const target = targetOf(e.target);
    e.currentTarget.setPointerCapture(e.pointerId);
    if (target.kind === 'empty') e.currentTarget.focus();
    else boxRefs.current[target.index]?.focus();
    apply(pointerDown(target, pointerAt(e), isAdditive({ shift: e.shiftKey, ctrl: e.ctrlKey, meta: e.metaKey }), pixelBoxes));
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>): void => {
    if (gesture.current.kind !== 'idle') apply(pointerMove(gesture.current, pointerAt(e), pixelBoxes, image));
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>): void => apply(pointerUp(gesture.current, pointerAt(e), pixelBoxes, image));
  const onPointerCancel = (): void => apply({ gesture: IDLE, edits: [] });

  const onKeyDown = (e: KeyboardEvent<SVGSVGElement>): void => {
    const s = appStore.getState();
    const index = e.target instanceof Element ? e.target.closest<SVGElement>('[data-index]')?.dataset.index : undefined;
    if (index === undefined) {
      // Focus on the image itself: Delete removes the selection, arrows enter the boxes.
      if (e.key === 'Delete' || e.key === 'Backspace') s.removeSelected();
      else if (e.key === 'Escape') s.clearSelection();
      else if (e.key.startsWith('Arrow') && boxes.length > 0) boxRefs.current[0]?.focus();
      else return;
      e.preventDefault();
      return;
    }
    const cmd = keyCommand(e.key, { shift: e.shiftKey, ctrl: e.ctrlKey, meta: e.metaKey }, Number(index), boxes.length);
    if (!cmd) return;
    e.preventDefault();
    switch (cmd.kind) {
      case 'focus': boxRefs.current[cmd.index]?.focus(); break;
      case 'select': s.selectBox(cmd.index, cmd.additive); break;
      case 'remove': {
        s.removeSelectedOr(cmd.index);
        const left = appStore.getState().boxes.length;
        if (left > 0) requestAnimationFrame(() => boxRefs.current[Math.min(cmd.index, left - 1)]?.focus());
        else svgRef.current?.focus();
        break;
      }
      case 'clear-selection': s.clearSelection(); break;
      default: unreachable(cmd);
    }
  };

  const px = (n: number): number => n / scale; // n screen px in image units
  return (
    <svg
      ref={svgRef}
      className="overlay"
      viewBox={`0 0 ${image.width} ${image.height}`}
      tabIndex={-1}
      aria-label="Boxes on the image. Drag to draw a box; drag a selected box to move it."
      data-testid="overlay"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={onPointerUp}
      onPointerCancel={onPointerCancel}
      onKeyDown={onKeyDown}
    >
      {items.map((it) => {
        const { x1, y1, x2, y2 } = it.box;
        const badgeW = px(10 + 7.5 * it.caption.length);
        return (
          <g
            key={it.id}
            ref={(el) => {
              boxRefs.current[it.index] = el;
            }}
            className="box"
            data-index={it.index}
            data-selected={it.selected || undefined}
            data-hovered={it.hovered || undefined}
            data-cited={it.labels.length > 0 || undefined}
            onPointerEnter={() => setHovered(it.id)}
            onPointerLeave={() => setHovered(null)}
            data-testid={`box-${it.index}`}
            tabIndex={0}
            role="button"
            aria-pressed={it.selected}
            aria-label={describeBox(it.index, it.box, it.selected, it.labels)}
            style={{ color: it.color }}
          >
            <rect className="box-rect" x={x1} y={y1} width={x2 - x1} height={y2 - y1} vectorEffect="non-scaling-stroke" />
            <g className="badge" aria-hidden="true">
              <rect x={x1} y={y1} width={badgeW} height={px(BADGE_H_PX)} rx={px(3)} />
              <text x={x1 + badgeW / 2} y={y1 + px(BADGE_H_PX / 2)} fontSize={px(12)}>{it.caption}</text>
            </g>
          </g>
        );
      })}
      {items.map((it) =>
        it.selected
          ? HANDLES.map((h) => {
              const p = handlePoint(it.box, h);
              return <rect key={`${it.id}-${h}`} className={`handle handle-${h}`} data-index={it.index} data-handle={h} x={p.x - px(HANDLE_PX / 2)} y={p.y - px(HANDLE_PX / 2)} width={px(HANDLE_PX)} height={px(HANDLE_PX)} vectorEffect="non-scaling-stroke" />;
            })
          : null,
      )}
      {draft && <rect className="draft" data-testid="draft-box" x={draft.x1} y={draft.y1} width={draft.x2 - draft.x1} height={draft.y2 - draft.y1} vectorEffect="non-scaling-stroke" />}
    </svg>
  );
});
