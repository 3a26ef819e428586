// Adapts the store's watch hub to the API's watch contract: compaction and progress notices,
// flow control (a congested consumer holds the hub back until it resumes), and progress requests
// answered once the watch has caught up.
import type { WatchOptions, WatchRegistration, WatchSink } from '../api/backend.js';
import type { WatchHub } from '../mvcc/watchHub.js';

/** Starts a watch on `hub`; `currentRevision` reads the member's store revision (stores can be replaced). */
export function watchThroughHub(hub: WatchHub, currentRevision: () => number, options: WatchOptions, sink: WatchSink): WatchRegistration {
  let synced = true;
  let progressWanted = false;
  const filters: ('NOPUT' | 'NODELETE')[] = [];
  if (options.noPut) filters.push('NOPUT');
  if (options.noDelete) filters.push('NODELETE');
  const id = hub.watch(
    { key: options.key, ...(options.rangeEnd ? { rangeEnd: options.rangeEnd } : {}), startRevision: options.startRevision, prevKv: options.prevKv, filters },
    {
      send: (response) => {
        if (response.canceled) {
          sink.compacted(response.compactRevision ?? 0);
          return true;
        }
        if (response.events.length === 0) {
          sink.progress(response.revision);
          return true;
        }
        synced = response.revision >= currentRevision();
        const flowing = sink.events(response.revision, response.events);
        if (synced && progressWanted) {
          progressWanted = false;
          sink.progress(currentRevision());
        }
        return flowing;
      },
    },
  );
  return {
    cancel: () => void hub.cancel(id),
    requestProgress: () => {
      if (synced) hub.progress([id]);
      else progressWanted = true;
    },
    resume: () => hub.ready(id),
    get synced() {
      return synced;
    },
  };
}
