// The inline error: what failed, why, and a retry when repeating the action can help.

import { selectError } from '../store/selectors.ts';
import { appStore, useApp } from '../store/store.ts';

export function ErrorBanner() {
  const error = useApp(selectError);
  if (!error) return null;
  const { dismissError } = appStore.getState();
  return (
    <div className="error" role="alert" data-testid="error">
      <div className="error-body">
        <strong>{error.title}</strong>
        <p>{error.message}</p>
      </div>
      <div className="error-actions">
        {error.retry && (
          <button type="button" className="btn" onClick={() => { dismissError(); error.retry?.(); }}>Retry</button>
        )}
        <button type="button" className="btn btn-ghost" onClick={dismissError} aria-label="Dismiss the error">Dismiss</button>
      </div>
    </div>
  );
}
