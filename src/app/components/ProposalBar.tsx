// The detector's proposals for the image: "finding objects…" while it runs, then a score slider that
// shows fewer or more of them, and "re-run proposals".

import { unreachable } from '../../protocol/messages.ts';
import { proposeBoxes } from '../engine/bridge.ts';
import { proposalBoxes } from '../store/proposalsSlice.ts';
import { selectProposalStatus } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';

export function ProposalBar() {
  const status = useApp(selectProposalStatus);
  const minScore = useApp((s) => s.minScore);
  const total = useApp((s) => s.proposals.length);
  const shown = useApp((s) => (s.image ? proposalBoxes(s.image.id, s.proposals, s.minScore).length : 0));
  const ready = useApp((s) => s.model.kind === 'ready');
  if (!ready) return null;
  switch (status.kind) {
    case 'idle':
      return null;
    case 'finding':
      return <div className="proposals" role="status" data-testid="proposals-status"><span className="dot dot-busy" aria-hidden="true" /> Finding objects…</div>;
    case 'unavailable':
      return (
        <div className="proposals" data-testid="proposals-status">
          <span className="muted">{status.message}</span>
          <button type="button" className="btn btn-small" onClick={() => void proposeBoxes()}>Re-run proposals</button>
        </div>
      );
    case 'done':
      return (
        <div className="proposals" data-testid="proposals-status">
          <label className="slider">
            <span>Show {shown} of {total} proposals (score ≥ {minScore.toFixed(2)})</span>
            <input type="range" min={0} max={1} step={0.01} value={minScore} onChange={(e) => appStore.getState().setMinScore(Number(e.currentTarget.value))} aria-label="Minimum proposal score" />
          </label>
          <button type="button" className="btn btn-small" onClick={() => void proposeBoxes()}>Re-run proposals</button>
        </div>
      );
    default:
      return unreachable(status);
  }
}
