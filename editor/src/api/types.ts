/** Types the editor shares with the runtime (type-only: no runtime code reaches the bundle). */
export type { Flow, FlowInput, FlowNode, FlowEdge } from "../../../runtime/schema/flow.ts";
export type { RunEvent, NodeStatus, RunStatus } from "../../../runtime/schema/events.ts";
export type { RunResult, NodeResult } from "../../../runtime/result.ts";
export type { SerializedError, ErrorCode } from "../../../runtime/errors.ts";
export type { FlowIssue } from "../../../runtime/prepare.ts";
export type { NodeKind } from "../../../runtime/node.ts";
export type { RunSummary, FlowSummary } from "../../../runtime/stores.ts";
export type { Approval, EvidenceItem } from "../../../runtime/approvals/types.ts";

import type { NodeKind } from "../../../runtime/node.ts";

/** A JSON Schema, as far as the editor reads one. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

/** A node type as `GET /api/node-types` describes it: the palette and the inspector come from here. */
export interface NodeTypeInfo {
  type: string;
  version: number;
  title: string;
  category: string;
  description: string;
  kind: NodeKind;
  params: JsonSchema;
  output?: JsonSchema;
  ports: string[] | null;
  literalParams: string[];
}
