// Builds the renderer into dist/renderer with relative asset URLs, so the same output loads from
// the web host (under its token path) and from file:// in the desktop app. No Node imports here:
// the renderer's lint boundary applies to this file too.
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

/** A file URL as a file system path (also on Windows, where it starts with a drive letter). */
function pathOf(url: URL): string {
  return decodeURIComponent(url.pathname).replace(/^\/([A-Za-z]:)/, '$1');
}

export default defineConfig({
  root: pathOf(new URL('.', import.meta.url)),
  base: './',
  plugins: [vue()],
  build: {
    outDir: pathOf(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2_000,
    sourcemap: false,
  },
});
