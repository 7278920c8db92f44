// The image area: the photo fitted to the space available, with the box overlay on top, or the empty
// state inviting a photo. Fitting is the pure `fitImage`; this component only measures and places.

import { useRef } from 'react';
import { fitImage } from '../overlay/geometry.ts';
import { selectDecoding, selectImage } from '../store/selectors.ts';
import { useApp } from '../store/store.ts';
import { BoxOverlay } from './BoxOverlay.tsx';
import { EmptyState } from './EmptyState.tsx';
import { useElementSize } from './useElementSize.ts';

export function Stage({ dragging }: { dragging: boolean }) {
  const image = useApp(selectImage);
  const decoding = useApp(selectDecoding);
  const ref = useRef<HTMLDivElement>(null);
  const size = useElementSize(ref);
  const fit = image && size ? fitImage(image, size) : null;

  return (
    <section className="stage" aria-label="Image" data-dragging={dragging || undefined}>
      <div className="stage-inner" ref={ref}>
        {image && fit ? (
          <div className="frame" style={{ width: fit.width, height: fit.height }} data-testid="image-frame">
            <img src={image.url} alt={`${image.name}, ${image.width}×${image.height} pixels`} draggable={false} />
            <BoxOverlay image={image} scale={fit.scale} />
          </div>
        ) : (
          !image && <EmptyState />
        )}
      </div>
      {decoding && <div className="stage-note" role="status">Opening image…</div>}
      {dragging && <div className="drop-hint" aria-hidden="true">Drop the image to open it</div>}
    </section>
  );
}
