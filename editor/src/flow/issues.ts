/** Validation problems from the server, placed on the nodes and fields they are about. */
import type { FlowIssue } from "../api/types.ts";

/** One problem of one node: the field it is about (e.g. "params.url") and what is wrong. */
export interface NodeIssue {
  field: string;
  /** The message without the `node "x" params.url:` prefix (shown beside the field). */
  short: string;
  /** The server's whole message (shown on the node and in lists). */
  message: string;
}

/** Problems by node, and those about the flow as a whole. */
export interface IssueMap {
  byNode: Readonly<Record<string, NodeIssue[]>>;
  flow: FlowIssue[];
  count: number;
}

/** No problems. */
export const NO_ISSUES: IssueMap = { byNode: {}, flow: [], count: 0 };

const NODE_PATH = /^nodes\[(\d+)\](?:\.(.*))?$/;
const PREFIX = /^node "[^"]*"(?: \([^)]*\))?(?: [^\s:]+)?: /;

/**
 * Places each problem; `nodeOrder` is the node ids in the order of the document that was
 * checked (paths like `nodes[3].params.url` count in it).
 */
export function mapIssues(issues: FlowIssue[], nodeOrder: readonly string[]): IssueMap {
  const byNode: Record<string, NodeIssue[]> = {};
  const flow: FlowIssue[] = [];
  for (const issue of issues) {
    const m = NODE_PATH.exec(issue.path);
    const nodeId = issue.nodeId ?? (m ? nodeOrder[Number(m[1])] : undefined);
    if (!nodeId) {
      flow.push(issue);
      continue;
    }
    (byNode[nodeId] ??= []).push({ field: m?.[2] ?? "", short: plain(issue.message.replace(PREFIX, "")), message: issue.message });
  }
  return { byNode, flow, count: issues.length };
}

/** Validation wording for people: a missing value says so. */
function plain(text: string): string {
  return /^Invalid input: expected [^,]+, received undefined$/.test(text) ? "is required" : text;
}

/** The problems about a field or anything inside it (`params.set` covers `params.set.a`). */
export function issuesAt(issues: readonly NodeIssue[] | undefined, field: string): NodeIssue[] {
  if (!issues) return [];
  return issues.filter((i) => i.field === field || i.field.startsWith(`${field}.`) || i.field.startsWith(`${field}[`));
}
