import { describe, expect, it } from 'vitest';
import { keyCommand } from './keyboard.ts';

const none = { shift: false, ctrl: false, meta: false };

describe('box keyboard commands', () => {
  it('walks the boxes with arrows, wrapping at both ends', () => {
    expect(keyCommand('ArrowRight', none, 2, 3)).toEqual({ kind: 'focus', index: 0 });
    expect(keyCommand('ArrowDown', none, 0, 3)).toEqual({ kind: 'focus', index: 1 });
    expect(keyCommand('ArrowLeft', none, 0, 3)).toEqual({ kind: 'focus', index: 2 });
  });

  it('selects with Enter/Space (additively with a modifier), removes with Delete, clears with Escape', () => {
    expect(keyCommand('Enter', none, 1, 3)).toEqual({ kind: 'select', index: 1, additive: false });
    expect(keyCommand(' ', { ...none, ctrl: true }, 1, 3)).toEqual({ kind: 'select', index: 1, additive: true });
    expect(keyCommand('Delete', none, 1, 3)).toEqual({ kind: 'remove', index: 1 });
    expect(keyCommand('Backspace', none, 0, 3)).toEqual({ kind: 'remove', index: 0 });
    expect(keyCommand('Escape', none, 0, 3)).toEqual({ kind: 'clear-selection' });
  });

  it('does nothing for other keys or without boxes', () => {
    expect(keyCommand('a', none, 0, 3)).toBeNull();
    expect(keyCommand('Enter', none, 0, 0)).toBeNull();
  });
});
