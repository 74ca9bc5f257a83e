/** Every built-in node type. A new node type is one file here plus one line in this list. */
import type { NodeType } from "../runtime/node.ts";
import { NodeRegistry } from "../runtime/registry.ts";
import { actionEmail } from "./action-email.ts";
import { actionFile } from "./action-file.ts";
import { actionHttp } from "./action-http.ts";
import { codeJs } from "./code-js.ts";
import { humanApprove } from "./human-approve.ts";
import { logicBranch } from "./logic-branch.ts";
import { logicMerge } from "./logic-merge.ts";
import { memoryCondense } from "./memory-condense.ts";
import { memoryRemember } from "./memory-remember.ts";
import { memoryRetrieve } from "./memory-retrieve.ts";
import { modelClassify } from "./model-classify.ts";
import { modelExtract } from "./model-extract.ts";
import { modelGenerate } from "./model-generate.ts";
import { modelSummarize } from "./model-summarize.ts";
import { transform } from "./transform.ts";
import { triggerManual } from "./trigger-manual.ts";
import { triggerSchedule } from "./trigger-schedule.ts";
import { triggerWebhook } from "./trigger-webhook.ts";
import { waitTimer } from "./wait-timer.ts";

export const builtinNodes: NodeType[] = [triggerManual, transform, logicBranch, logicMerge, waitTimer, actionHttp, actionFile, codeJs, modelSummarize, modelGenerate, modelClassify, modelExtract, humanApprove, actionEmail, triggerWebhook, triggerSchedule, memoryRetrieve, memoryRemember, memoryCondense];

/** A registry holding every built-in node type. */
export function createRegistry(extra: NodeType[] = []): NodeRegistry {
  return new NodeRegistry([...builtinNodes, ...extra]);
}
