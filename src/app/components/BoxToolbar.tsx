// Box management under the image: the proposals bar, whether the photo is read ahead of a question, how many boxes, delete the selected ones, clear all,
// open another image.

import { selectBoxes, selectImage, selectSelectedIds } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';
import { ImagePickers } from './ImagePickers.tsx';
import { PrepareNote } from './PrepareNote.tsx';
import { ProposalBar } from './ProposalBar.tsx';

export function BoxToolbar() {
  const image = useApp(selectImage);
  const boxes = useApp(selectBoxes);
  const selected = useApp(selectSelectedIds);
  if (!image) return null;
  const { removeSelected, clearBoxes } = appStore.getState();
  return (
    <>
    <ProposalBar />
    <PrepareNote />
    <div className="toolbar" role="toolbar" aria-label="Boxes">
      <span className="toolbar-count" data-testid="box-count">
        {boxes.length === 0 ? 'No boxes yet — drag on the image to draw one' : `${boxes.length} box${boxes.length === 1 ? '' : 'es'}, ${selected.length} selected`}
      </span>
      <button type="button" className="btn" onClick={removeSelected} disabled={selected.length === 0}>Delete selected</button>
      <button type="button" className="btn" onClick={clearBoxes} disabled={boxes.length === 0}>Clear boxes</button>
      <ImagePickers compact />
    </div>
    </>
  );
}
