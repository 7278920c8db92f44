import { useImageDrop } from '../image/useImageDrop.ts';
import { AnswerPanel } from './AnswerPanel.tsx';
import { BoxToolbar } from './BoxToolbar.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import { QuestionBox } from './QuestionBox.tsx';
import { Stage } from './Stage.tsx';
import { StatusBadge } from './StatusBadge.tsx';

export function App() {
  const dragging = useImageDrop();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <img src="/icons/icon.svg" alt="" width="28" height="28" />
          <span>FO1 <em>regions</em></span>
        </div>
        <StatusBadge />
      </header>
      <main className="layout">
        <div className="canvas-col">
          <Stage dragging={dragging} />
          <BoxToolbar />
        </div>
        <aside className="side">
          <ErrorBanner />
          <QuestionBox />
          <AnswerPanel />
        </aside>
      </main>
    </div>
  );
}
