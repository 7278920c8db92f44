// Keyboard access to the boxes, as a pure mapping from a key press on a focused box to a command:
// arrows walk the boxes in index order (wrapping), Enter/Space select (Shift/Ctrl/Cmd add to the
// selection), Delete/Backspace remove, Escape clears the selection. Tab moves focus natively.

export interface Modifiers {
  shift: boolean;
  ctrl: boolean;
  meta: boolean;
}

export type KeyCommand =
  | { kind: 'focus'; index: number }
  | { kind: 'select'; index: number; additive: boolean }
  | { kind: 'remove'; index: number }
  | { kind: 'clear-selection' };

export function keyCommand(key: string, mods: Modifiers, focused: number, count: number): KeyCommand | null {
  if (count === 0) return null;
  switch (key) {
    case 'ArrowRight':
    case 'ArrowDown': return { kind: 'focus', index: (focused + 1) % count };
    case 'ArrowLeft':
    case 'ArrowUp': return { kind: 'focus', index: (focused - 1 + count) % count };
    case 'Enter':
    case ' ': return { kind: 'select', index: focused, additive: isAdditive(mods) };
    case 'Delete':
    case 'Backspace': return { kind: 'remove', index: focused };
    case 'Escape': return { kind: 'clear-selection' };
    default: return null;
  }
}

/** Shift, Ctrl and Cmd all mean "add to the selection" for clicks, as in file managers. */
export function isAdditive(mods: Modifiers): boolean {
  return mods.shift || mods.ctrl || mods.meta;
}
