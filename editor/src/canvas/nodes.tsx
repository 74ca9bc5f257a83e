/**
 * The canvas's node components: one memoised component per node kind, and the `nodeTypes` map
 * at module scope (a new map on every render would remount every node).
 */
import { Handle, Position, type NodeProps, type NodeTypes } from "@xyflow/react";
import { memo, useCallback, type ReactNode } from "react";
import type { KeelNode } from "../flow/convert.ts";
import type { IssueMap } from "../flow/issues.ts";
import { useSlice } from "../lib/store.ts";
import type { RunView } from "../run/runState.ts";
import { useCanvasShared } from "./context.ts";
import { KIND_LOOK, paramSummary } from "./look.ts";

type CardProps = NodeProps<KeelNode> & { kind: string; inputs?: boolean; badge?: ReactNode };

const STATUS_TEXT: Record<string, string> = {
  queued: "queued",
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  skipped: "skipped",
  waiting: "waiting",
};

/**
 * Shortens text for the card. Cards cut text here rather than with CSS ellipsis: an
 * overflow-clipped box per line costs the compositor work on every frame of a pan.
 */
function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The card every node kind draws: title, id, summary, live status, problems, handles. */
function NodeCard({ id, data, selected, kind, inputs = true, badge }: CardProps) {
  const { types, run, issues } = useCanvasShared();
  const info = types.get(data.type);
  const status = useSlice(run, useCallback((r: RunView | null) => r?.nodes[id]?.status, [id]));
  const problems = useSlice(issues, useCallback((m: IssueMap) => m.byNode[id], [id]));
  const look = KIND_LOOK[kind] ?? KIND_LOOK.unknown;
  const ports = info?.ports;
  const summary = paramSummary(data.params);
  const title = clip(data.name || info?.title || data.type, 26);
  return (
    <div
      className={`kn kn-${kind}${selected ? " kn-selected" : ""}${problems ? " kn-invalid" : ""}`}
      data-status={status ?? "idle"}
      data-problems={problems?.length ?? 0}
      style={{ "--kind": look.color } as React.CSSProperties}
      aria-label={`${data.name || info?.title || data.type} (${id})${status ? `, ${status}` : ""}${problems ? `, ${problems.length} problem${problems.length > 1 ? "s" : ""}` : ""}`}
    >
      {inputs && <Handle type="target" position={Position.Left} className="kn-handle" />}
      <div className="kn-head">
        <span className="kn-glyph" aria-hidden="true">
          {look.glyph}
        </span>
        <span className="kn-title">{title}</span>
        {status && (
          <span className={`kn-status kn-status-${status}`} data-testid="node-status">
            {STATUS_TEXT[status]}
          </span>
        )}
      </div>
      <div className="kn-sub">
        <span className="kn-id">{clip(id, 24)}</span>
        {!info ? <span className="kn-type kn-unknown">unknown type</span> : id.length + data.type.length < 30 && <span className="kn-type">{data.type}</span>}
        {badge}
      </div>
      {summary && <div className="kn-summary">{summary}</div>}
      {problems && (
        <div className="kn-problems" role="alert" title={problems.map((p) => p.message).join("\n")}>
          {problems.length === 1 ? problems[0].short : `${problems.length} problems: ${problems[0].short}`}
        </div>
      )}
      {ports && ports.length ? (
        <div className="kn-ports">
          {ports.map((port) => (
            <div key={port} className={`kn-port kn-port-${port}`}>
              <span>{port}</span>
              <Handle type="source" id={port} position={Position.Right} className="kn-handle" data-port={port} />
            </div>
          ))}
        </div>
      ) : (
        <Handle type="source" position={Position.Right} className="kn-handle" />
      )}
    </div>
  );
}

const TriggerNode = memo(function TriggerNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="trigger" inputs={false} />;
});

const PureNode = memo(function PureNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="pure" />;
});

const ModelNode = memo(function ModelNode(props: NodeProps<KeelNode>) {
  const tier = props.data.params.tier;
  return <NodeCard {...props} kind="model" badge={typeof tier === "string" ? <span className="kn-badge">{tier}</span> : undefined} />;
});

const ActionNode = memo(function ActionNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="action" badge={<span className="kn-badge" title="Acts outside Keel, once per run (idempotency key)">side effect</span>} />;
});

const WaitNode = memo(function WaitNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="wait" />;
});

const CodeNode = memo(function CodeNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="code" badge={<span className="kn-badge" title="Runs in a sandbox">sandbox</span>} />;
});

const UnknownNode = memo(function UnknownNode(props: NodeProps<KeelNode>) {
  return <NodeCard {...props} kind="unknown" />;
});

/** Component per node kind (see componentFor in flow/convert.ts). */
export const nodeTypes: NodeTypes = {
  trigger: TriggerNode,
  pure: PureNode,
  model: ModelNode,
  action: ActionNode,
  wait: WaitNode,
  code: CodeNode,
  unknown: UnknownNode,
};
