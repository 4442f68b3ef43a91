// The one way the dashboard draws a graph: React Flow, laid out already,
// read-only (no dragging or connecting), fitted to the view without
// zooming past 100%, with zoom controls; a click selects a node.
import { Background, Controls, ReactFlow, type Edge, type EdgeTypes, type Node } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { Loading } from './states';

export function GraphCanvas({
  label,
  flow,
  onSelect,
  edgeTypes,
}: {
  label: string;
  // null while the layout is still being computed.
  flow: { nodes: Node[]; edges: Edge[] } | null;
  onSelect: (id: string) => void;
  // Custom edges (a constant: React Flow warns when it changes).
  edgeTypes?: EdgeTypes;
}) {
  return (
    <div className="lineage-canvas" role="group" aria-label={label}>
      {flow ? (
        <ReactFlow
          nodes={flow.nodes}
          edges={flow.edges}
          edgeTypes={edgeTypes}
          fitView
          fitViewOptions={{ maxZoom: 1 }}
          nodesDraggable={false}
          nodesConnectable={false}
          onNodeClick={(_, n) => onSelect(n.id)}
          proOptions={{ hideAttribution: true }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      ) : (
        <Loading label="Laying out…" />
      )}
    </div>
  );
}
