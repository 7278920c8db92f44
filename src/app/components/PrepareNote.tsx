// One line under the proposals: whether the photo and its boxes are read yet (store/prepareSlice.ts), so a
// person knows the first answer will start at once, or why the photo could not be read ahead.

import { unreachable } from '../../protocol/messages.ts';
import { selectPreparation } from '../store/selectors.ts';
import { useApp } from '../store/store.ts';

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

export function PrepareNote() {
  const status = useApp(selectPreparation);
  switch (status.kind) {
    case 'idle':
      return null;
    case 'preparing':
      return <p className="prepare-note" role="status" data-testid="prepare-status"><span className="dot dot-busy" aria-hidden="true" /> Reading the photo and its {status.boxes} box{status.boxes === 1 ? '' : 'es'}, so the first answer starts at once…</p>;
    case 'ready': {
      const { prepared, boxes } = status;
      const t = prepared.timings;
      return (
        <p className="prepare-note muted" data-testid="prepare-status">
          Photo and {boxes} box{boxes === 1 ? '' : 'es'} read ({prepared.detail} detail, {prepared.imageTokens} image tokens): image {prepared.imageReused ? 'already encoded' : seconds(t.preprocessMs + t.visionMs)} · regions {seconds(t.regionsMs)} · prompt {seconds(t.prefillMs)}. A question now starts at once.
        </p>
      );
    }
    case 'failed':
      return <p className="prepare-note muted" data-testid="prepare-status">The photo could not be read ahead of a question: {status.message}</p>;
    default:
      return unreachable(status);
  }
}
