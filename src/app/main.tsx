import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.tsx';
import { measureAutomatically, probeBackends, proposeAutomatically } from './engine/bridge.ts';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void probeBackends();
proposeAutomatically();
measureAutomatically();
