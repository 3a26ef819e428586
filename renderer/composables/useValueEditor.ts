// The key editor's text state: which view it shows, the text, whether it parses in that view,
// switching views without losing bytes, formatting, and whether it differs from the saved value.
// Kubernetes protobuf objects get a read-only decoded view; very large texts open read-only.
import { computed, ref, shallowRef, watch } from 'vue';
import type { Ref } from 'vue';
import { decodeKubernetesValue, isKubernetesValue, kubernetesToJson, kubernetesToYaml } from '../kubernetesObject';
import type { KubernetesObject } from '../kubernetesObject';
import { base64ToBytes, bytesToBase64, detectView, formatView, parseView, renderView, textUnsafeReason } from '../valueFormat';
import type { ValueView } from '../valueFormat';

/** The editor's views: the value views, and the decoded (read-only) view of a Kubernetes object. */
export type EditorView = ValueView | 'kubernetes';

/** Texts longer than this open read-only until the user asks to edit (re-parsing on each keystroke would stall). */
export const editableTextCharsMax = 2 * 1024 * 1024;
/** Texts longer than this are shown without highlighting and folding. */
export const highlightTextCharsMax = 512 * 1024;

export interface ValueEditorOptions {
  /** The saved value (base64), or null for a new key. */
  source: Ref<string | null>;
}

/** The decoded Kubernetes object shown in `text`, and whether it is shown as YAML or JSON. */
function useKubernetesView(text: Ref<string>) {
  /** The object and its stored bytes while the Kubernetes view is shown, else null. */
  const kubernetes = shallowRef<{ object: KubernetesObject; bytes: Uint8Array } | null>(null);
  const kubernetesFormat = ref<'yaml' | 'json'>('yaml');

  function render(): void {
    if (kubernetes.value === null) return;
    const { object } = kubernetes.value;
    text.value = kubernetesFormat.value === 'yaml' ? kubernetesToYaml(object) : kubernetesToJson(object);
  }

  /** Shows `bytes` decoded; returns why it cannot when they are not a stored Kubernetes object. */
  function show(bytes: Uint8Array): string | null {
    const decoded = decodeKubernetesValue(bytes);
    if (!decoded.ok) return decoded.message;
    kubernetes.value = { object: decoded.value, bytes };
    render();
    return null;
  }

  function setFormat(format: 'yaml' | 'json'): void {
    kubernetesFormat.value = format;
    render();
  }

  return { kubernetes, kubernetesFormat, show, setFormat, hide: () => (kubernetes.value = null) };
}

export function useValueEditor(options: ValueEditorOptions) {
  const view = ref<EditorView>('text');
  const text = ref('');
  const switchError = ref<string | null>(null);
  /** Why the loaded value opened in HEX and text views are refused; null when text views keep its bytes. */
  const hexOnly = ref<string | null>(null);
  /** Invariant: `kubernetes` is non-null exactly when view is 'kubernetes'. */
  const { kubernetes, kubernetesFormat, show, setFormat, hide } = useKubernetesView(text);
  /** True while a text over editableTextCharsMax is shown read-only; `editAnyway` lifts it. */
  const large = ref(false);

  /** Shows `bytes` in the view they open in: Kubernetes objects decoded, others as detectView says. */
  function open(bytes: Uint8Array): void {
    hexOnly.value = textUnsafeReason(bytes);
    switchError.value = null;
    if (isKubernetesValue(bytes) && show(bytes) === null) {
      view.value = 'kubernetes';
    } else {
      hide();
      view.value = detectView(bytes);
      text.value = renderView(bytes, view.value);
    }
    large.value = text.value.length > editableTextCharsMax;
  }

  function load(source: string | null): void {
    open(source === null ? new Uint8Array() : base64ToBytes(source));
  }
  watch(options.source, load, { immediate: true });

  const parsed = computed(() => (kubernetes.value !== null ? { ok: true as const, bytes: kubernetes.value.bytes } : parseView(text.value, view.value as ValueView)));
  const validationError = computed(() => (parsed.value.ok ? null : parsed.value.message));
  /** The value to save, as base64; null while the text does not parse. */
  const valueBase64 = computed(() => (parsed.value.ok ? bytesToBase64(parsed.value.bytes) : null));
  const dirty = computed(() => valueBase64.value !== (options.source.value ?? ''));
  /** Why the text cannot be edited now, or null: decoded protobuf objects, and very large texts. */
  const readOnlyReason = computed(() => {
    if (view.value === 'kubernetes') return 'kubernetes' as const;
    return large.value ? ('large' as const) : null;
  });

  /**
   * Shows the same bytes in `next`; refuses while the current text is invalid hex, refuses a
   * text view for bytes it would change (not UTF-8, carriage returns): saving would alter them,
   * and refuses the Kubernetes view for bytes that are not a stored Kubernetes object.
   */
  function switchView(next: EditorView): void {
    const current = kubernetes.value !== null ? parsed.value : view.value === 'hex' ? parsed.value : { ok: true as const, bytes: new TextEncoder().encode(text.value) };
    if (!current.ok) {
      switchError.value = `Fix the value before switching views: ${current.message}`;
      return;
    }
    if (next === 'kubernetes') {
      switchError.value = show(current.bytes);
      if (switchError.value === null) view.value = 'kubernetes';
      return;
    }
    const unsafe = next === 'hex' ? null : textUnsafeReason(current.bytes);
    if (unsafe !== null) {
      switchError.value = unsafe;
      return;
    }
    switchError.value = null;
    hide();
    view.value = next;
    text.value = renderView(current.bytes, next);
    large.value = large.value && text.value.length > editableTextCharsMax;
  }

  /** Pretty-prints the text in its view; false when it does not parse. */
  function format(): boolean {
    if (view.value === 'kubernetes') return true;
    const formatted = formatView(text.value, view.value);
    if (formatted === null) return false;
    text.value = formatted;
    return true;
  }

  return {
    view,
    text,
    validationError,
    switchError,
    hexOnly,
    kubernetes,
    kubernetesFormat,
    readOnlyReason,
    valueBase64,
    dirty,
    open,
    switchView,
    setKubernetesFormat: setFormat,
    format,
    editAnyway: () => (large.value = false),
    reset: () => load(options.source.value),
  };
}
