// The photo being looked at. The bitmap is what goes to the engine; the object URL is what the <img>
// shows (both honour EXIF orientation, so their sizes agree).

import type { StateCreator } from 'zustand';
import type { AppState } from './store.ts';

export interface LoadedImage {
  id: string;
  name: string;
  width: number;
  height: number;
  url: string;
  bitmap: ImageBitmap;
}

export interface ImageSlice {
  image: LoadedImage | null;
  decoding: boolean;
  setDecoding(decoding: boolean): void;
  /** Shows `image` with no boxes, proposals or conversation, releasing the previous image's bitmap and URL. */
  setImage(image: LoadedImage): void;
}

export const createImageSlice: StateCreator<AppState, [], [], ImageSlice> = (set, get) => ({
  image: null,
  decoding: false,
  setDecoding: (decoding) => set({ decoding }),
  setImage: (image) => {
    const old = get().image;
    if (old) {
      old.bitmap.close();
      URL.revokeObjectURL(old.url);
    }
    set({ image, decoding: false, boxes: [], selected: [], hovered: null, turns: [], proposals: [], proposalStatus: { kind: 'idle' }, preparation: { kind: 'idle' } });
  },
});
