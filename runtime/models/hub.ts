/**
 * The model hub: one per process. It reads the settings, makes providers, and hands each node
 * a models door bound to the node's scope (trace, budget, signal, credentials). Chat routing
 * lives in chat.ts, embedding in embed.ts.
 */
import type { CredentialsDoor, NodeScope } from "../doors.ts";
import { ValidationError } from "../errors.ts";
import type { ResponseCache } from "./cache.ts";
import { routeChat } from "./chat.ts";
import { routeEmbed } from "./embed.ts";
import { localProvider } from "./local/provider.ts";
import { ollamaProvider } from "./ollama.ts";
import { openaiProvider } from "./openai.ts";
import type { ModelProvider } from "./provider.ts";
import { defaultModelSettings, LOCAL_PROVIDER, type ModelSettings, type ProviderSettings } from "./settings.ts";
import type { ChatRequest, ChatResult, EmbedRequest, EmbedResult, ModelBudget, ModelSpend, ModelsDoor } from "./types.ts";

/** What a call knows of its caller. A call from outside a run (e.g. memory ingest) has none of it. */
export interface CallScope {
  trace?(kind: string, data: Record<string, unknown>): void;
  budget?: ModelBudget;
  spent?(): ModelSpend;
  signal?: AbortSignal;
  /** A vault credential's fields, checked against the running flow. */
  credential?(name: string): Promise<Record<string, string>>;
  registerSecret?(name: string, value: string): void;
}

/** Options for a ModelHub. */
export interface ModelHubOptions {
  /** The current settings (read again on each call, so that edits apply without a restart). */
  settings?: () => ModelSettings;
  cache?: ResponseCache;
  now?: () => number;
  /** Reads environment variables (API keys named in settings); default process.env. */
  env?: (name: string) => string | undefined;
}

/** The hub's internals that routing needs. */
export interface HubContext {
  settings: ModelSettings;
  cache?: ResponseCache;
  now: () => number;
  provider(name: string): ModelProvider;
  /** Where a provider is (for cache keys). */
  endpoint(name: string): string;
}

const local = localProvider();

export class ModelHub {
  private readonly opts: ModelHubOptions;

  constructor(opts: ModelHubOptions = {}) {
    this.opts = opts;
  }

  /** The settings in force now (a ValidationError when the settings file is invalid). */
  settings(): ModelSettings {
    return this.opts.settings?.() ?? defaultModelSettings();
  }

  /** A chat, routed by tier with fallbacks, cache and budget. */
  chat(request: ChatRequest, scope: CallScope = {}): Promise<ChatResult> {
    return routeChat(this.context(scope), request, scope);
  }

  /** Embeddings with the configured embedding model, in batches. */
  embed(request: EmbedRequest, scope: CallScope = {}): Promise<EmbedResult> {
    return routeEmbed(this.context(scope), request, scope);
  }

  /** The door a node uses; `credentials` gives the node's credentials door when there is one. */
  door(scope: NodeScope, options: { credentials?: () => CredentialsDoor | undefined } = {}): ModelsDoor {
    const call: CallScope = {
      trace: (kind, data) => scope.trace(kind, data),
      budget: scope.budget,
      spent: scope.spent,
      signal: scope.signal,
      registerSecret: (name, value) => scope.registerSecret(name, value),
      credential: async (name) => {
        const door = options.credentials?.();
        if (!door) throw new ValidationError(`credential "${name}": no credential vault in this Keel process`);
        return (await door.get(name)).fields;
      },
    };
    return { chat: (req) => this.chat(req, call), embed: (req) => this.embed(req, call) };
  }

  private context(scope: CallScope): HubContext {
    const settings = this.settings();
    const providers = new Map<string, ModelProvider>();
    return {
      settings,
      cache: settings.cache.enabled ? this.opts.cache : undefined,
      now: this.opts.now ?? Date.now,
      provider: (name) => {
        let p = providers.get(name);
        if (!p) providers.set(name, (p = this.makeProvider(name, settings, scope)));
        return p;
      },
      endpoint: (name) => {
        const s = settings.providers[name];
        return !s ? name : s.type === "openai" ? s.baseURL : s.host;
      },
    };
  }

  private makeProvider(name: string, settings: ModelSettings, scope: CallScope): ModelProvider {
    if (name === LOCAL_PROVIDER) return local;
    const s = settings.providers[name];
    if (!s) throw new ValidationError(`unknown model provider "${name}" (known: ${[LOCAL_PROVIDER, ...Object.keys(settings.providers)].join(", ")})`);
    if (s.type === "ollama") return ollamaProvider(name, s);
    return openaiProvider(name, s, () => this.apiKey(name, s, scope));
  }

  /** The API key: from the vault credential when named (and reachable), else the env variable. */
  private async apiKey(provider: string, s: Extract<ProviderSettings, { type: "openai" }>, scope: CallScope): Promise<string | undefined> {
    const k = s.apiKey;
    if (!k) return undefined;
    if (k.credential && scope.credential) {
      try {
        const fields = await scope.credential(k.credential);
        const value = fields[k.field];
        if (!value) throw new ValidationError(`credential "${k.credential}" has no field "${k.field}" (provider "${provider}")`);
        return value;
      } catch (e) {
        if (!k.env) throw e;
      }
    }
    if (k.env) {
      const value = (this.opts.env ?? ((n) => process.env[n]))(k.env);
      if (!value) throw new ValidationError(`provider "${provider}": environment variable ${k.env} (its API key) is not set`);
      scope.registerSecret?.(`env:${k.env}`, value);
      return value;
    }
    throw new ValidationError(`provider "${provider}": credential "${k.credential}" is needed and this call has no credential vault`);
  }
}
