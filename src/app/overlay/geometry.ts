// Overlay geometry, free of React and the DOM. Two coordinate spaces meet here and branded types keep
// them apart (the excalidraw `GlobalPoint`/`LocalPoint` idea): ImagePoint is in original image pixels
// (what boxes are stored in and what the engine gets), ScreenPoint is in CSS pixels of the page (what
// pointer events give). The only ways between them are `toImage`/`toScreen` through a `Viewport`.

import type { PixelBox } from '../../protocol/messages.ts';

declare const space: unique symbol;
export type ImagePoint = { readonly x: number; readonly y: number; readonly [space]: 'image' };
export type ScreenPoint = { readonly x: number; readonly y: number; readonly [space]: 'screen' };

export function imagePoint(x: number, y: number): ImagePoint {
  return { x, y } as ImagePoint;
}

export function screenPoint(x: number, y: number): ScreenPoint {
  return { x, y } as ScreenPoint;
}

export interface Size {
  width: number;
  height: number;
}

/** Where the image is drawn on screen: the CSS position of its top-left pixel and CSS px per image px. */
export interface Viewport {
  left: number;
  top: number;
  scale: number;
}

/** The largest size with the image's aspect ratio that fits in `container` (like `object-fit: contain`). */
export function fitImage(image: Size, container: Size): Size & { scale: number } {
  if (image.width <= 0 || image.height <= 0) throw new Error(`fitImage: image size ${image.width}×${image.height} is empty`);
  const scale = Math.max(0, Math.min(container.width / image.width, container.height / image.height));
  return { width: image.width * scale, height: image.height * scale, scale };
}

/** The viewport of an element showing the whole image, from its bounding client rect. */
export function viewportOf(rect: { left: number; top: number; width: number }, image: Size): Viewport {
  return { left: rect.left, top: rect.top, scale: rect.width / image.width };
}

export function toImage(p: ScreenPoint, v: Viewport): ImagePoint {
  return imagePoint((p.x - v.left) / v.scale, (p.y - v.top) / v.scale);
}

export function toScreen(p: ImagePoint, v: Viewport): ScreenPoint {
  return screenPoint(v.left + p.x * v.scale, v.top + p.y * v.scale);
}

export function screenDistance(a: ScreenPoint, b: ScreenPoint): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

export function clampToImage(p: ImagePoint, image: Size): ImagePoint {
  return imagePoint(Math.min(Math.max(p.x, 0), image.width), Math.min(Math.max(p.y, 0), image.height));
}

/** The box spanned by two corners in any order, clamped to the image. */
export function boxFromCorners(a: ImagePoint, b: ImagePoint, image: Size): PixelBox {
  const p = clampToImage(a, image);
  const q = clampToImage(b, image);
  return { x1: Math.min(p.x, q.x), y1: Math.min(p.y, q.y), x2: Math.max(p.x, q.x), y2: Math.max(p.y, q.y) };
}

export function boxSize(b: PixelBox): Size {
  return { width: b.x2 - b.x1, height: b.y2 - b.y1 };
}

export function containsPoint(b: PixelBox, p: ImagePoint): boolean {
  return p.x >= b.x1 && p.x <= b.x2 && p.y >= b.y1 && p.y <= b.y2;
}

/** The index of the box under `p`; nested boxes resolve to the smallest, so inner boxes stay reachable. */
export function hitBox(boxes: readonly PixelBox[], p: ImagePoint): number | null {
  let best: number | null = null;
  let bestArea = Infinity;
  boxes.forEach((b, i) => {
    const { width, height } = boxSize(b);
    if (containsPoint(b, p) && width * height < bestArea) {
      best = i;
      bestArea = width * height;
    }
  });
  return best;
}

/** Resize handles, named by compass direction. */
export type Handle = 'nw' | 'n' | 'ne' | 'e' | 'se' | 's' | 'sw' | 'w';
export const HANDLES: readonly Handle[] = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

export function isHandle(s: string | undefined): s is Handle {
  return HANDLES.some((h) => h === s);
}

export function handlePoint(b: PixelBox, h: Handle): ImagePoint {
  const cx = (b.x1 + b.x2) / 2;
  const cy = (b.y1 + b.y2) / 2;
  const x = h.includes('w') ? b.x1 : h.includes('e') ? b.x2 : cx;
  const y = h.startsWith('n') ? b.y1 : h.startsWith('s') ? b.y2 : cy;
  return imagePoint(x, y);
}

/** `original` with the edges that `h` controls moved to `p`; dragging past the opposite edge flips the box. */
export function resizeBox(original: PixelBox, h: Handle, p: ImagePoint, image: Size): PixelBox {
  const q = clampToImage(p, image);
  const x1 = h.includes('w') ? q.x : original.x1;
  const x2 = h.includes('e') ? q.x : original.x2;
  const y1 = h.startsWith('n') ? q.y : original.y1;
  const y2 = h.startsWith('s') ? q.y : original.y2;
  return { x1: Math.min(x1, x2), y1: Math.min(y1, y2), x2: Math.max(x1, x2), y2: Math.max(y1, y2) };
}

/** `original` shifted by (dx, dy) image px, kept whole inside the image. */
export function moveBox(original: PixelBox, dx: number, dy: number, image: Size): PixelBox {
  const { width, height } = boxSize(original);
  const x1 = Math.min(Math.max(original.x1 + dx, 0), image.width - width);
  const y1 = Math.min(Math.max(original.y1 + dy, 0), image.height - height);
  return { x1, y1, x2: x1 + width, y2: y1 + height };
}

/** Boxes rounded to whole pixels for display and export (the engine takes fractional boxes as they are). */
export function roundBox(b: PixelBox): PixelBox {
  return { x1: Math.round(b.x1), y1: Math.round(b.y1), x2: Math.round(b.x2), y2: Math.round(b.y2) };
}
