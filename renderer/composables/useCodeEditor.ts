// A CodeMirror 6 editor bound to a text ref: JSON/YAML highlighting and folding, search (Ctrl+F),
// line numbers, history, read-only mode and a plain mode for very large texts. CodeMirror was chosen
// for its size, its modular packages that work offline, and no eval (the console's CSP forbids it).
// What the text means (views, validation, saving) stays with useValueEditor.
import { onScopeDispose, shallowRef, watch } from 'vue';
import type { Ref } from 'vue';
import { Compartment, EditorState, Transaction } from '@codemirror/state';
import type { Extension } from '@codemirror/state';
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers, placeholder } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { HighlightStyle, bracketMatching, defaultHighlightStyle, foldGutter, foldKeymap, syntaxHighlighting } from '@codemirror/language';
import { highlightSelectionMatches, search, searchKeymap } from '@codemirror/search';
import { json } from '@codemirror/lang-json';
import { yaml } from '@codemirror/lang-yaml';
import { tags } from '@lezer/highlight';

/** How the editor highlights and folds its text. */
export type CodeLanguage = 'json' | 'yaml' | 'plain';

export interface CodeEditorOptions {
  /** The element the editor mounts into, once it exists. */
  parent: Readonly<Ref<HTMLElement | null>>;
  text: Ref<string>;
  language: Readonly<Ref<CodeLanguage>>;
  readOnly: Readonly<Ref<boolean>>;
  /** Wrap long lines (hex and prose); JSON and YAML scroll sideways instead. */
  wrap: Readonly<Ref<boolean>>;
  dark: Readonly<Ref<boolean>>;
  /** Shown while the text is empty; also the editor's accessible name. */
  placeholder: string;
}

const darkHighlightStyle = HighlightStyle.define([
  { tag: tags.propertyName, color: '#8ab4f8' },
  { tag: [tags.string, tags.special(tags.string)], color: '#a5d6a7' },
  { tag: [tags.number, tags.bool, tags.null, tags.atom], color: '#f7b37c' },
  { tag: [tags.keyword, tags.definitionKeyword], color: '#c792ea' },
  { tag: [tags.comment, tags.meta], color: '#8a8f98', fontStyle: 'italic' },
  { tag: tags.invalid, color: '#ff6b6b' },
]);

function languageExtension(language: CodeLanguage): Extension {
  if (language === 'json') return [json(), foldGutter()];
  if (language === 'yaml') return [yaml(), foldGutter()];
  return [];
}

function themeExtension(dark: boolean): Extension {
  const theme = EditorView.theme(
    {
      '&': { fontSize: '13px', border: '1px solid var(--code-editor-border)', borderRadius: '3px', backgroundColor: dark ? '#18181c' : '#fff', color: dark ? '#e6e6e6' : '#1f2225' },
      '.cm-scroller': { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace', lineHeight: '1.5' },
      '.cm-gutters': { backgroundColor: dark ? '#202024' : '#f6f6f7', color: dark ? '#7a7f87' : '#8a8f98', borderRight: 'none' },
      '&.cm-focused': { outline: 'none', borderColor: '#18a058' },
      '.cm-activeLine': { backgroundColor: dark ? '#ffffff0a' : '#0000000a' },
      '.cm-activeLineGutter': { backgroundColor: dark ? '#ffffff12' : '#00000010' },
      '.cm-content': { caretColor: dark ? '#fff' : '#000' },
      '&.cm-focused .cm-selectionBackground, .cm-selectionBackground': { backgroundColor: dark ? '#3a5a8c' : '#cfe3ff' },
    },
    { dark },
  );
  return [theme, syntaxHighlighting(dark ? darkHighlightStyle : defaultHighlightStyle, { fallback: true })];
}

/** Mounts an editor on `parent`, keeps it and `text` in step both ways, and destroys it with the scope. */
export function useCodeEditor(options: CodeEditorOptions) {
  const view = shallowRef<EditorView | null>(null);
  const language = new Compartment();
  const readOnly = new Compartment();
  const wrap = new Compartment();
  const theme = new Compartment();

  function create(parent: HTMLElement): EditorView {
    const state = EditorState.create({
      doc: options.text.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        history(),
        drawSelection(),
        highlightActiveLine(),
        bracketMatching(),
        highlightSelectionMatches(),
        search({ top: true }),
        keymap.of([...defaultKeymap, ...historyKeymap, ...foldKeymap, ...searchKeymap]),
        placeholder(options.placeholder),
        EditorView.contentAttributes.of({ 'aria-label': options.placeholder }),
        language.of(languageExtension(options.language.value)),
        // Read-only refuses edits but keeps the text focusable: the cursor, selection, copy and search work.
        readOnly.of(EditorState.readOnly.of(options.readOnly.value)),
        wrap.of(options.wrap.value ? EditorView.lineWrapping : []),
        theme.of(themeExtension(options.dark.value)),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.text.value = update.state.doc.toString();
        }),
      ],
    });
    return new EditorView({ state, parent });
  }

  watch(options.parent, (parent) => {
    view.value?.destroy();
    view.value = parent ? create(parent) : null;
  }, { immediate: true });

  // Text set from outside (loading a key, switching views, formatting) replaces the document,
  // outside the undo history: undo never brings back another key's value.
  watch(options.text, (text) => {
    const current = view.value;
    if (!current || current.state.doc.toString() === text) return;
    current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: text }, annotations: Transaction.addToHistory.of(false) });
  });
  watch(options.language, (next) => view.value?.dispatch({ effects: language.reconfigure(languageExtension(next)) }));
  watch(options.readOnly, (next) => view.value?.dispatch({ effects: readOnly.reconfigure(EditorState.readOnly.of(next)) }));
  watch(options.wrap, (next) => view.value?.dispatch({ effects: wrap.reconfigure(next ? EditorView.lineWrapping : []) }));
  watch(options.dark, (next) => view.value?.dispatch({ effects: theme.reconfigure(themeExtension(next)) }));

  onScopeDispose(() => view.value?.destroy());

  return { view };
}
