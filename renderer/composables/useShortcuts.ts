// Keyboard shortcuts for a component's lifetime: bindings like `mod+s` (Ctrl, or Cmd on macOS),
// `alt+1` or `?`, removed when the component's scope is disposed. Single keys are ignored while
// typing in inputs unless a binding allows it.
import { onScopeDispose } from 'vue';

export interface ShortcutBinding {
  /** `mod+s`, `alt+3`, `shift+?`, `r` … (lower case). */
  combo: string;
  description: string;
  run: () => void;
  allowInInputs?: boolean;
}

export interface ShortcutOptions {
  bindings: ShortcutBinding[];
  target?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
}

function isTyping(event: KeyboardEvent): boolean {
  const element = event.target as HTMLElement | null;
  if (!element || typeof element.tagName !== 'string') return false;
  return element.tagName === 'INPUT' || element.tagName === 'TEXTAREA' || element.tagName === 'SELECT' || element.isContentEditable;
}

/** The combo string a key event matches, e.g. `mod+s`. */
export function comboOf(event: KeyboardEvent): string {
  const parts: string[] = [];
  if (event.ctrlKey || event.metaKey) parts.push('mod');
  if (event.altKey) parts.push('alt');
  const key = event.code.startsWith('Digit') ? event.code.slice('Digit'.length) : event.key.toLowerCase();
  parts.push(key);
  return parts.join('+');
}

export function useShortcuts(options: ShortcutOptions): { bindings: ShortcutBinding[] } {
  const target = options.target ?? window;
  const onKeyDown = (event: Event): void => {
    const keyEvent = event as KeyboardEvent;
    const combo = comboOf(keyEvent);
    const binding = options.bindings.find((candidate) => candidate.combo === combo);
    if (!binding) return;
    const plain = !keyEvent.ctrlKey && !keyEvent.metaKey && !keyEvent.altKey;
    if (plain && isTyping(keyEvent) && !binding.allowInInputs) return;
    keyEvent.preventDefault();
    binding.run();
  };
  target.addEventListener('keydown', onKeyDown);
  onScopeDispose(() => target.removeEventListener('keydown', onKeyDown));
  return { bindings: options.bindings };
}
