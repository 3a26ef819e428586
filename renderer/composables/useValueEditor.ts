// The key editor's text state: which view it shows, the text, whether it parses in that view,
// switching views without losing bytes, formatting, and whether it differs from the saved value.
import { computed, ref, watch } from 'vue';
import type { Ref } from 'vue';
import { base64ToBytes, bytesToBase64, detectView, formatView, parseView, renderView, textUnsafeReason } from '../valueFormat';
import type { ValueView } from '../valueFormat';

export interface ValueEditorOptions {
  /** The saved value (base64), or null for a new key. */
  source: Ref<string | null>;
}

export function useValueEditor(options: ValueEditorOptions) {
  const view = ref<ValueView>('text');
  const text = ref('');
  const switchError = ref<string | null>(null);
  /** Why the loaded value opened in HEX and text views are refused; null when text views keep its bytes. */
  const hexOnly = ref<string | null>(null);

  function load(source: string | null): void {
    const bytes = source === null ? new Uint8Array() : base64ToBytes(source);
    view.value = detectView(bytes);
    text.value = renderView(bytes, view.value);
    hexOnly.value = textUnsafeReason(bytes);
    switchError.value = null;
  }
  watch(options.source, load, { immediate: true });

  const parsed = computed(() => parseView(text.value, view.value));
  const validationError = computed(() => (parsed.value.ok ? null : parsed.value.message));
  /** The value to save, as base64; null while the text does not parse. */
  const valueBase64 = computed(() => (parsed.value.ok ? bytesToBase64(parsed.value.bytes) : null));
  const dirty = computed(() => valueBase64.value !== (options.source.value ?? ''));

  /**
   * Shows the same bytes in `next`; refuses while the current text is invalid hex, and refuses a
   * text view for bytes it would change (not UTF-8, carriage returns): saving would alter them.
   */
  function switchView(next: ValueView): void {
    const current = view.value === 'hex' ? parsed.value : { ok: true as const, bytes: new TextEncoder().encode(text.value) };
    if (!current.ok) {
      switchError.value = `Fix the value before switching views: ${current.message}`;
      return;
    }
    const unsafe = next === 'hex' ? null : textUnsafeReason(current.bytes);
    if (unsafe !== null) {
      switchError.value = unsafe;
      return;
    }
    switchError.value = null;
    view.value = next;
    text.value = renderView(current.bytes, next);
  }

  /** Pretty-prints the text in its view; false when it does not parse. */
  function format(): boolean {
    const formatted = formatView(text.value, view.value);
    if (formatted === null) return false;
    text.value = formatted;
    return true;
  }

  return { view, text, validationError, switchError, hexOnly, valueBase64, dirty, switchView, format, reset: () => load(options.source.value) };
}
