/**
 * Definitions as the engine uses them: validated against the function registry on the way
 * in, normalized once per stored version and cached (versions never change).
 */
import { type JobDefinition, parseDefinition } from "../domain/definition.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import { canonicalJson } from "../domain/json.ts";
import type { StoredDefinition } from "../domain/model.ts";
import type { Store } from "../domain/store.ts";

export interface Registered {
  id: string;
  version: number;
  /** False when the body equals the latest version's (nothing was stored). */
  created: boolean;
}

export class DefinitionCatalog {
  private readonly cache = new Map<string, JobDefinition>();

  constructor(
    private readonly store: Store,
    private readonly functions: FunctionRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  /** Validates (throws `ValidationError`) and stores a new version unless it is unchanged. */
  async register(raw: unknown): Promise<Registered> {
    const def = this.validate(raw);
    const body = raw as Record<string, unknown>;
    const { version, created } = await this.store.registerDefinition(def.id, body, canonicalJson(body), this.now());
    this.cache.set(key(def.id, version), def);
    return { id: def.id, version, created };
  }

  /** Throws a `ValidationError` naming every offending field. */
  validate(raw: unknown): JobDefinition {
    return parseDefinition(raw, (name) => this.functions.has(name));
  }

  /** The normalized form of a stored version. */
  resolve(stored: StoredDefinition): JobDefinition {
    const k = key(stored.id, stored.version);
    let def = this.cache.get(k);
    if (!def) {
      // Stored versions were validated when registered; a function missing now fails its task at run time.
      def = parseDefinition(stored.body, () => true);
      this.cache.set(k, def);
    }
    return def;
  }

  async get(id: string, version?: number): Promise<{ stored: StoredDefinition; def: JobDefinition } | null> {
    const stored = await this.store.getDefinition(id, version);
    return stored ? { stored, def: this.resolve(stored) } : null;
  }
}

const key = (id: string, version: number) => `${id}@${version}`;
