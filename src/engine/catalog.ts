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
  /** Stored versions by `id@version` (they never change), and the latest version by id. */
  private readonly stored = new Map<string, StoredDefinition>();
  private readonly latest = new Map<string, number>();
  private readonly lookups = new Map<string, Promise<StoredDefinition | null>>();

  constructor(
    private readonly store: Store,
    private readonly functions: FunctionRegistry,
    private readonly now: () => number = Date.now,
    /** A new version was stored (its schedules replaced the old ones). */
    private readonly onNewVersion: (id: string) => void = () => {},
  ) {}

  /** Validates (throws `ValidationError`) and stores a new version unless it is unchanged. */
  async register(raw: unknown, actor: string | null = null): Promise<Registered> {
    const def = this.validate(raw);
    // "$schema" points editors at the JSON Schema: not part of the definition, so never stored (nor a new version).
    const { $schema: _editorsOnly, ...body } = raw as Record<string, unknown>;
    const { version, created } = await this.store.registerDefinition(def.id, body, canonicalJson(body), this.now(), def.schedules, actor);
    this.cache.set(key(def.id, version), def);
    // This process is the database's only writer, so the latest version it saw is the latest.
    this.latest.delete(def.id);
    this.lookups.delete(`${def.id}@latest`);
    if (created) this.onNewVersion(def.id);
    return { id: def.id, version, created };
  }

  /** Throws a `ValidationError` naming every offending field. */
  validate(raw: unknown): JobDefinition {
    return parseDefinition(
      raw,
      (name) => this.functions.has(name),
      (name, params) => this.functions.get(name)?.checkParams?.(params) ?? [],
    );
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
    const wanted = version ?? this.latest.get(id);
    const stored = (wanted === undefined ? undefined : this.stored.get(key(id, wanted))) ?? (await this.lookUp(id, version));
    return stored ? { stored, def: this.resolve(stored) } : null;
  }

  /** A version already validated or read by this process, without a read; undefined otherwise. */
  cached(id: string, version: number): JobDefinition | undefined {
    return this.cache.get(key(id, version));
  }

  /** A version an execution runs: it was stored when the execution was, so missing is a broken store. */
  async definition(id: string, version: number): Promise<JobDefinition> {
    const found = await this.get(id, version);
    if (!found) throw new Error(`definition ${id} version ${version} is missing from the store`);
    return found.def;
  }

  /** One store read per id and version, however many requests ask for it at once. */
  private lookUp(id: string, version: number | undefined): Promise<StoredDefinition | null> {
    const k = version === undefined ? `${id}@latest` : key(id, version);
    let pending = this.lookups.get(k);
    if (!pending) {
      pending = this.store.getDefinition(id, version).then((found) => {
        if (found) {
          this.stored.set(key(found.id, found.version), found);
          if (version === undefined) this.latest.set(id, found.version);
        }
        return found;
      });
      const forget = () => this.lookups.delete(k);
      pending.then(forget, forget);
      this.lookups.set(k, pending);
    }
    return pending;
  }
}

const key = (id: string, version: number) => `${id}@${version}`;
