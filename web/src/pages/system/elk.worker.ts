// Lays out graphs with ELK off the main thread: {id, graph} in, {id, graph}
// or {id, error} out. elk.bundled registers its own worker protocol on
// self.onmessage when loaded in a worker; ours replaces it.
import ELK, { type ElkNode } from 'elkjs/lib/elk.bundled.js';

const elk = new ELK();

self.onmessage = (e: MessageEvent<{ id: number; graph: ElkNode }>) => {
  const { id, graph } = e.data;
  elk.layout(graph).then(
    (laidOut) => self.postMessage({ id, graph: laidOut }),
    (error: unknown) => self.postMessage({ id, error: String(error) }),
  );
};
