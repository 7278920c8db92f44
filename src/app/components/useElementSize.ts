// The content-box size of an element, kept current with a ResizeObserver (window resizes, rotation,
// the side panel wrapping under the image on phones).

import { useLayoutEffect, useState, type RefObject } from 'react';
import type { Size } from '../overlay/geometry.ts';

export function useElementSize(ref: RefObject<HTMLElement | null>): Size | null {
  const [size, setSize] = useState<Size | null>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      setSize((old) => (old && old.width === width && old.height === height ? old : { width, height }));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}
