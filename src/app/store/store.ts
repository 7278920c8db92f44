// The app's single zustand store, combined from typed slices (zustand's advanced-typescript "slices
// pattern"). `createAppStore` makes an independent vanilla store (tests); the app uses `appStore` and
// reads it in components through `useApp(selector)` with the named selectors of ./selectors.ts.

import { useStore } from 'zustand';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAskSlice, type AskSlice } from './askSlice.ts';
import { createBoxesSlice, type BoxesSlice } from './boxesSlice.ts';
import { createConvertSlice, type ConvertSlice } from './convertSlice.ts';
import { createEngineSlice, type EngineSlice } from './engineSlice.ts';
import { createErrorSlice, type ErrorSlice } from './errorSlice.ts';
import { createImageSlice, type ImageSlice } from './imageSlice.ts';
import { createModelSlice, type ModelSlice } from './modelSlice.ts';
import { createPrepareSlice, type PrepareSlice } from './prepareSlice.ts';
import { createProposalsSlice, type ProposalsSlice } from './proposalsSlice.ts';

export type AppState = ImageSlice & BoxesSlice & AskSlice & EngineSlice & ErrorSlice & ModelSlice & ProposalsSlice & PrepareSlice & ConvertSlice;

export function createAppStore(): StoreApi<AppState> {
  return createStore<AppState>()((...a) => ({
    ...createImageSlice(...a),
    ...createBoxesSlice(...a),
    ...createAskSlice(...a),
    ...createEngineSlice(...a),
    ...createErrorSlice(...a),
    ...createModelSlice(...a),
    ...createProposalsSlice(...a),
    ...createPrepareSlice(...a),
    ...createConvertSlice(...a),
  }));
}

export const appStore = createAppStore();

export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}
