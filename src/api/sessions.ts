/**
 * The dashboard's login sessions: a token exchanged once at `/ui/login` for a random session id
 * kept in an `HttpOnly`, `SameSite=Strict` cookie scoped to `/ui`. Sessions live in this
 * process's memory only, so a restart ends them all (that is also when an edited token file is
 * read again). Each session is bound to its token's SHA-256: it ends when that token leaves the
 * token list, at logout, after `idleMs` without a request and `absoluteMs` after login. The
 * authentication middleware (`auth.ts`) accepts the cookie under the dashboard's prefix only.
 */
import type { Context } from "hono";
import { type Principal, ROLES, type TokenEntry, type TokenVerifier } from "../domain/auth.ts";

/** The cookie's name; its value is the session id, never the token. */
export const SESSION_COOKIE = "baton_session";

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and this long after login, whatever it did. */
export const SESSION_ABSOLUTE_MS = 12 * 3600_000;
/** Sessions kept at once; past it, the expired ones go, then the oldest. */
const MAX_SESSIONS = 10_000;

export interface Session {
  /** The cookie's value: 256 random bits, base64url. */
  readonly id: string;
  /** The synchronizer token every form of this session carries (CSRF). */
  readonly csrf: string;
  /** Who logged in, with the role the token file gives that token now. */
  principal: Principal;
  /** The SHA-256 of the token it was opened with: the session lives while that token is configured. */
  readonly digest: string;
  readonly createdAt: number;
  lastSeenAt: number;
}

export interface SessionOptions {
  /** Finds the token's entry in constant time (`platform/tokens.ts`). */
  verify: TokenVerifier;
  /** The token's SHA-256, as the token file stores it. */
  digest: (token: string) => string;
  /** The tokens configured now: a session whose token is no longer listed ends at its next request. */
  entries: () => readonly TokenEntry[];
  /** A new random id (256 bits). */
  newId: () => string;
  now?: () => number;
  idleMs?: number;
  absoluteMs?: number;
}

/** The context variable the middleware sets when a request came with a live session. */
export const SESSION = "session";

/** The session of this request; null with a bearer token or without tokens. */
export const sessionOf = (c: Context): Session | null => (c.get(SESSION) as Session | undefined) ?? null;

/** Why `open` refused a token, in words for the login page. */
export type LoginRefusal = "unknown token" | "cannot read";

export class Sessions {
  private readonly live = new Map<string, Session>();
  private readonly now: () => number;
  readonly idleMs: number;
  readonly absoluteMs: number;

  constructor(private readonly options: SessionOptions) {
    this.now = options.now ?? Date.now;
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.absoluteMs = options.absoluteMs ?? SESSION_ABSOLUTE_MS;
  }

  /** Opens a session for a token whose role can read; the refusal otherwise. */
  open(token: string): Session | LoginRefusal {
    const principal = this.options.verify(token);
    if (principal === null) return "unknown token";
    if (!ROLES[principal.role].has("read")) return "cannot read";
    const now = this.now();
    if (this.live.size >= MAX_SESSIONS) this.evict(now);
    const session: Session = {
      id: this.options.newId(),
      csrf: this.options.newId(),
      principal,
      digest: this.options.digest(token),
      createdAt: now,
      lastSeenAt: now,
    };
    this.live.set(session.id, session);
    return session;
  }

  /** The live session with this id, its idle time restarted; null when there is none or it has ended. */
  find(id: string): Session | null {
    const session = this.live.get(id);
    if (session === undefined) return null;
    const now = this.now();
    const entry = this.options.entries().find((e) => e.sha256 === session.digest);
    if (this.expired(session, now) || entry === undefined || !ROLES[entry.role].has("read")) {
      this.live.delete(id);
      return null;
    }
    session.principal = { name: entry.name, role: entry.role };
    session.lastSeenAt = now;
    return session;
  }

  /** Logout: the session ends now. */
  end(id: string): void {
    this.live.delete(id);
  }

  /** How many sessions are held (expired ones included until they are next looked at). */
  get size(): number {
    return this.live.size;
  }

  private expired(s: Session, now: number): boolean {
    return now - s.lastSeenAt >= this.idleMs || now - s.createdAt >= this.absoluteMs;
  }

  private evict(now: number): void {
    for (const [id, s] of this.live) if (this.expired(s, now)) this.live.delete(id);
    while (this.live.size >= MAX_SESSIONS) this.live.delete(this.live.keys().next().value!);
  }
}
