import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.tsx';
import { measureAutomatically, prepareAutomatically, probeBackends, proposeAutomatically } from './engine/bridge.ts';
import { applyHubFromAddress } from './model/hub-convert.ts';
import './styles.css';

applyHubFromAddress();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void probeBackends();
proposeAutomatically();
prepareAutomatically();
measureAutomatically();
