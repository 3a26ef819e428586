// Boots the console: Vue, Pinia and the root component. The AdminApi is resolved lazily by
// `api.ts` (the Electron preload's `window.rafter`, or the web host's client).
import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';

createApp(App).use(createPinia()).mount('#app');
