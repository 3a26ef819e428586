// The rendered width of an element, kept current with a ResizeObserver, so SVG charts can draw at
// their container's width instead of a fixed one. Where ResizeObserver is missing (some test DOMs)
// the fallback width stays.
import { onBeforeUnmount, onMounted, ref, useTemplateRef, type Ref } from 'vue';

export interface ElementWidthOptions {
  /** The `ref` attribute of the measured element in the component's template. */
  readonly refName: string;
  /** Width used until (or unless) the element has been measured. */
  readonly fallbackPx: number;
  /** Narrowest width reported, so a collapsed container never draws a degenerate chart. */
  readonly minPx?: number;
}

export function useElementWidth(options: ElementWidthOptions): { width: Ref<number> } {
  const element = useTemplateRef<HTMLElement>(options.refName);
  const width = ref(options.fallbackPx);
  let observer: ResizeObserver | null = null;
  const update = (measured: number): void => {
    if (measured > 0) width.value = Math.max(options.minPx ?? 0, Math.floor(measured));
  };
  onMounted(() => {
    if (element.value === null) return;
    update(element.value.clientWidth);
    if (typeof ResizeObserver === 'undefined') return;
    observer = new ResizeObserver((entries) => update(entries[0]?.contentRect.width ?? 0));
    observer.observe(element.value);
  });
  onBeforeUnmount(() => observer?.disconnect());
  return { width };
}
