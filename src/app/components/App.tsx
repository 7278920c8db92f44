import { useImageDrop } from '../image/useImageDrop.ts';
import { AnswerPanel } from './AnswerPanel.tsx';
import { BoxToolbar } from './BoxToolbar.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { QuestionBox } from './QuestionBox.tsx';
import { Stage } from './Stage.tsx';
import { ModelScreen } from './ModelScreen.tsx';
import { ModelBadge, StatusBadge } from './StatusBadge.tsx';
import { useApp } from '../store/store.ts';

export function App() {
  const dragging = useImageDrop();
  const modelScreen = useApp((s) => s.modelScreenOpen);
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <img src="/icons/icon.svg" alt="" width="28" height="28" />
          <span>FO1 <em>regions</em></span>
        </div>
        <div className="topbar-right">
          <ModelBadge />
          <StatusBadge />
        </div>
      </header>
      <main className="layout">
        <div className="canvas-col">
          <Stage dragging={dragging} />
          <BoxToolbar />
        </div>
        <aside className="side">
          <ErrorBanner />
          {modelScreen && <ModelScreen />}
          <QuestionBox />
          <AnswerPanel />
        </aside>
      </main>
    </div>
  );
}
