// A button that opens the browser's directory picker and hands over the picked folder's files: a converted
// model folder (ModelScreen.tsx), or a checkpoint to convert (HubConvert.tsx). The files are read in place.

import { useEffect, useRef } from 'react';

export function FolderPicker({ label, inputLabel, testId, className, disabled, onFiles }: {
  /** The button's text. */
  label: string;
  /** The hidden input's accessible name (tests pick folders through it). */
  inputLabel: string;
  testId: string;
  className: string;
  disabled: boolean;
  onFiles: (files: File[]) => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // React has no prop for it: the directory picker of every current browser.
    input.current?.setAttribute('webkitdirectory', '');
  }, []);
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => input.current?.click()}>{label}</button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid={testId}
        aria-label={inputLabel}
        onChange={(e) => {
          const files = [...(e.currentTarget.files ?? [])];
          e.currentTarget.value = '';
          if (files.length) onFiles(files);
        }}
      />
    </>
  );
}
