// A lineage edge that also draws the sync event visualizer (./flow.ts):
// dots travelling from source to target, each labelled with how many events
// it stands for, and a counter of the events of the last 5 s; where events
// are stuck (a worker's failed and dead-letter events) a mark with the
// latest error. With prefers-reduced-motion nothing moves: the counter says
// it all.
import { memo, useSyncExternalStore } from 'react';
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type Edge, type EdgeProps } from '@xyflow/react';
import { DOT_MS, WINDOW_MS, flow, type Dot } from './flow';

export interface Stuck {
  failed: number;
  dead: number;
  error: string | null;
}

export type FlowEdgeType = Edge<{ key: string; stuck?: Stuck }, 'flow'>;

const motionQuery = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
const subscribeMotion = (l: () => void) => {
  motionQuery?.addEventListener('change', l);
  return () => motionQuery?.removeEventListener('change', l);
};
const reducedMotion = () => motionQuery?.matches ?? false;

function Travelling({ dot, path }: { dot: Dot; path: string }) {
  return (
    <g className={`flow-dot flow-${dot.kind}`} data-n={dot.n} aria-hidden="true">
      {dot.kind === 'written' ? <circle r={5} /> : <rect x={-5} y={-5} width={10} height={10} />}
      {dot.n > 1 && (
        <text x={8} y={-6}>
          ×{dot.n.toLocaleString()}
        </text>
      )}
      <animateMotion
        dur={`${DOT_MS}ms`}
        path={path}
        begin="indefinite"
        fill="freeze"
        ref={(el) => {
          // Started when inserted (SMIL's begin="0s" is the document's start).
          (el as SVGAnimationElement | null)?.beginElement();
        }}
      />
    </g>
  );
}

function FlowEdgeImpl(props: EdgeProps<FlowEdgeType>) {
  const { sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data } = props;
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const key = data?.key ?? '';
  const state = useSyncExternalStore(
    (l) => flow.subscribe(key, l),
    () => flow.get(key),
  );
  const still = useSyncExternalStore(subscribeMotion, reducedMotion);
  const stuck = data?.stuck;
  return (
    <>
      <BaseEdge
        id={props.id}
        path={path}
        labelX={labelX}
        labelY={labelY}
        label={props.label}
        labelStyle={props.labelStyle}
        labelShowBg={props.labelShowBg}
        labelBgStyle={props.labelBgStyle}
        labelBgPadding={props.labelBgPadding}
        labelBgBorderRadius={props.labelBgBorderRadius}
        markerEnd={props.markerEnd}
        style={props.style}
      />
      {!still && state.dots.map((d) => <Travelling key={d.id} dot={d} path={path} />)}
      {(state.recent > 0 || stuck) && (
        <EdgeLabelRenderer>
          <div
            className="flow-count nodrag nopan"
            style={{ transform: `translate(-50%, 0) translate(${labelX}px, ${labelY + 10}px)` }}
          >
            {state.recent > 0 && (
              <span className="flow-recent">
                ↦ {state.recent.toLocaleString()} {state.kind === 'processed' ? 'processed' : 'written'} in {WINDOW_MS / 1000} s
              </span>
            )}
            {stuck && (
              <span className="flow-stuck" title={stuck.error ?? undefined}>
                {stuck.failed > 0 && <>✕ {stuck.failed.toLocaleString()} failed </>}
                {stuck.dead > 0 && <>⊘ {stuck.dead.toLocaleString()} dead letter </>}
                {stuck.error && <span className="flow-error">{stuck.error}</span>}
              </span>
            )}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const FlowEdge = memo(FlowEdgeImpl);
export const edgeTypes = { flow: FlowEdge };
