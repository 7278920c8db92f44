// The one inline error the app shows. `retry` repeats the action that failed, when repeating can help.

import type { StateCreator } from 'zustand';
import type { AppState } from './store.ts';

export interface AppError {
  title: string;
  message: string;
  retry: (() => void) | null;
}

export interface ErrorSlice {
  error: AppError | null;
  showError(error: AppError): void;
  dismissError(): void;
}

export const createErrorSlice: StateCreator<AppState, [], [], ErrorSlice> = (set) => ({
  error: null,
  showError: (error) => set({ error }),
  dismissError: () => set({ error: null }),
});
