// "Export as PNG": the photo at its original size with the overlay drawn on it — the same items, colours
// and captions as on screen (overlay/items.ts), with stroke and text sized to the image rather than the
// screen so they read the same at any resolution.

import type { OverlayItem } from '../overlay/items.ts';

/** Line width and caption size relative to the image's longer side (a 1000-px photo gets 3-px strokes). */
function scaleOf(width: number, height: number): number {
  return Math.max(1, Math.max(width, height) / 1000);
}

export function drawOverlay(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, items: readonly OverlayItem[], width: number, height: number): void {
  const k = scaleOf(width, height);
  const font = Math.round(14 * k);
  ctx.font = `700 ${font}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  for (const it of items) {
    const { x1, y1, x2, y2 } = it.box;
    ctx.lineWidth = (it.selected || it.hovered ? 4 : 3) * k;
    ctx.strokeStyle = it.color;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const padX = 5 * k;
    const badgeH = font + 6 * k;
    const badgeW = ctx.measureText(it.caption).width + 2 * padX;
    // The caption sits on the box's top edge, inside the image when the box touches the top.
    const by = Math.max(0, y1 - badgeH);
    ctx.fillStyle = it.color;
    ctx.fillRect(x1, by, badgeW, badgeH);
    ctx.fillStyle = '#fff';
    ctx.fillText(it.caption, x1 + padX, by + badgeH / 2);
  }
}

export async function renderPng(bitmap: ImageBitmap, items: readonly OverlayItem[]): Promise<Blob> {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser offers no 2-D canvas to draw the PNG');
  ctx.drawImage(bitmap, 0, 0);
  drawOverlay(ctx, items, bitmap.width, bitmap.height);
  return canvas.convertToBlob({ type: 'image/png' });
}
