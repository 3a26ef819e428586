// Mounts a component the way the console does: a fresh Pinia, the fake AdminApi installed, and
// naive-ui's providers around it.
import { defineComponent, h } from 'vue';
import type { Component } from 'vue';
import { flushPromises, mount } from '@vue/test-utils';
import type { VueWrapper } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { NDialogProvider, NMessageProvider } from 'naive-ui';
import { setAdminApi } from '../../renderer/api';
import type { FakeAdminApi } from './fakeAdminApi';

export function mountWithProviders(component: Component, fake: FakeAdminApi, props: Record<string, unknown> = {}): VueWrapper {
  const pinia = createPinia();
  setActivePinia(pinia);
  setAdminApi(fake.api());
  const root = defineComponent({
    setup: () => () => h(NMessageProvider, null, () => h(NDialogProvider, null, () => h(component, props))),
  });
  return mount(root, { global: { plugins: [pinia] }, attachTo: document.body });
}

/** Lets pending promises and Vue updates settle (several rounds: stores chain calls). */
export async function settle(rounds = 5): Promise<void> {
  for (let round = 0; round < rounds; round++) await flushPromises();
}
