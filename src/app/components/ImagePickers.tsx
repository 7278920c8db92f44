// The two ways to choose a file by hand: the file picker, and the camera (`capture`) on phones.

import { useRef, type ChangeEvent } from 'react';
import { openFirstFile } from '../image/intake.ts';

function onPick(e: ChangeEvent<HTMLInputElement>): void {
  openFirstFile(e.currentTarget.files);
  e.currentTarget.value = ''; // picking the same file again must fire `change` again
}

export function ImagePickers({ compact = false }: { compact?: boolean }) {
  const pick = useRef<HTMLInputElement>(null);
  const camera = useRef<HTMLInputElement>(null);
  return (
    <div className="pickers">
      <button type="button" className={compact ? 'btn' : 'btn btn-primary'} onClick={() => pick.current?.click()}>
        {compact ? 'Open another image' : 'Choose an image'}
      </button>
      <button type="button" className="btn" onClick={() => camera.current?.click()}>Take a photo</button>
      <input ref={pick} type="file" accept="image/*" hidden onChange={onPick} data-testid="file-input" aria-label="Choose an image" />
      <input ref={camera} type="file" accept="image/*" capture="environment" hidden onChange={onPick} aria-label="Take a photo" />
    </div>
  );
}
