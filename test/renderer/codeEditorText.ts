// Reads and replaces the text of a CodeMirror editor in a component test, through the editor's own
// view (as typing would: a user input transaction), since happy-dom has no real text input.
import { nextTick } from 'vue';
import type { VueWrapper } from '@vue/test-utils';
import { EditorView } from '@codemirror/view';

function editorView(wrapper: VueWrapper, selector: string): EditorView {
  const view = EditorView.findFromDOM(wrapper.get(selector).element as HTMLElement);
  if (view === null) throw new Error(`no code editor in ${selector}`);
  return view;
}

export function editorText(wrapper: VueWrapper, selector = '[data-test=value-input]'): string {
  return editorView(wrapper, selector).state.doc.toString();
}

export function editorReadOnly(wrapper: VueWrapper, selector = '[data-test=value-input]'): boolean {
  return editorView(wrapper, selector).state.readOnly;
}

/** Replaces the whole text as a user edit; a read-only editor refuses it, as it refuses typing. */
export async function setEditorText(wrapper: VueWrapper, text: string, selector = '[data-test=value-input]'): Promise<void> {
  const view = editorView(wrapper, selector);
  if (view.state.readOnly) throw new Error('the editor is read-only');
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, userEvent: 'input.type' });
  await nextTick();
}
