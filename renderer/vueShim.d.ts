// Types for `.vue` imports where the Vue language tools are not in charge (the linter's type
// service). vue-tsc resolves `.vue` files itself and never falls back to this declaration.
declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent;
  export default component;
}
