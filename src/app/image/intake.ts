// Every way an image enters the app (drop, paste, file picker, camera) ends here: decode, then show it,
// or show the specific reason it could not be used. The previous image stays if the new one fails.

import { appStore } from '../store/store.ts';
import { decodeImageFile, ImageDecodeError } from './decode.ts';

let nextImage = 0;

export async function openImageFile(file: File): Promise<void> {
  const { setDecoding, setImage, showError, dismissError } = appStore.getState();
  setDecoding(true);
  try {
    const { bitmap, width, height } = await decodeImageFile(file);
    dismissError();
    setImage({ id: `image-${++nextImage}`, name: file.name || 'pasted image', width, height, bitmap, url: URL.createObjectURL(file) });
  } catch (e) {
    setDecoding(false);
    const message = e instanceof ImageDecodeError ? e.message : `“${file.name}” could not be opened: ${e instanceof Error ? e.message : String(e)}`;
    showError({ title: 'This file cannot be used', message, retry: null });
  }
}

/** The first file of a drop or paste, with a message when there is none (e.g. dropped text or a link). */
export function openFirstFile(files: FileList | null | undefined): void {
  const file = files?.[0];
  if (file) {
    void openImageFile(file);
    return;
  }
  appStore.getState().showError({ title: 'Nothing to open', message: 'That was not a file. Drop or paste an image file (JPEG, PNG, WebP…).', retry: null });
}
