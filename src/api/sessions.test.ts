/** The login sessions: opened only for a known token that can read, ended by logout, idleness, age and the token's removal. */
import { describe, expect, test } from "bun:test";
import type { TokenEntry } from "../domain/auth.ts";
import { newToken, tokenDigest, tokenVerifier } from "../platform/tokens.ts";
import { SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, type Session, Sessions } from "./sessions.ts";

function world() {
  let now = 1_000_000;
  const tokens: TokenEntry[] = [];
  const add = (name: string, role: TokenEntry["role"]) => {
    const token = newToken();
    tokens.push({ name, role, sha256: tokenDigest(token) });
    return token;
  };
  const sessions = new Sessions({
    verify: (t) => tokenVerifier(tokens)(t),
    digest: tokenDigest,
    entries: () => tokens,
    newId: newToken,
    now: () => now,
  });
  return { sessions, tokens, add, advance: (ms: number) => (now += ms) };
}

const opened = (s: Session | string): Session => {
  if (typeof s === "string") throw new Error(`refused: ${s}`);
  return s;
};

describe("Sessions", () => {
  test("a known token opens a session whose id and CSRF token are random and are not the token", () => {
    const w = world();
    const token = w.add("ops", "operate");
    const s = opened(w.sessions.open(token));
    const t = opened(w.sessions.open(token));
    expect(s.principal).toEqual({ name: "ops", role: "operate" });
    expect(s.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Set([s.id, s.csrf, t.id, t.csrf, token]).size).toBe(5);
    expect(w.sessions.find(s.id)?.principal.name).toBe("ops");
  });

  test("an unknown token and a worker token open nothing", () => {
    const w = world();
    w.add("ops", "operate");
    const worker = w.add("w1", "worker");
    expect(w.sessions.open("not-a-token")).toBe("unknown token");
    expect(w.sessions.open("")).toBe("unknown token");
    expect(w.sessions.open(worker)).toBe("cannot read");
    expect(w.sessions.size).toBe(0);
  });

  test("logout ends the session; an unknown id finds nothing", () => {
    const w = world();
    const s = opened(w.sessions.open(w.add("ops", "read")));
    w.sessions.end(s.id);
    expect(w.sessions.find(s.id)).toBeNull();
    expect(w.sessions.find("nope")).toBeNull();
  });

  test("a session ends after the idle time without a request, and each request restarts it", () => {
    const w = world();
    const s = opened(w.sessions.open(w.add("ops", "read")));
    w.advance(SESSION_IDLE_MS - 1);
    expect(w.sessions.find(s.id)).not.toBeNull();
    w.advance(SESSION_IDLE_MS - 1);
    expect(w.sessions.find(s.id)).not.toBeNull();
    w.advance(SESSION_IDLE_MS);
    expect(w.sessions.find(s.id)).toBeNull();
  });

  test("a session in constant use still ends at its absolute lifetime", () => {
    const w = world();
    const s = opened(w.sessions.open(w.add("ops", "read")));
    const step = SESSION_IDLE_MS / 2;
    let alive = 0;
    for (let t = 0; t < SESSION_ABSOLUTE_MS + 2 * step; t += step) {
      if (w.sessions.find(s.id) !== null) alive = t;
      w.advance(step);
    }
    expect(alive).toBeLessThan(SESSION_ABSOLUTE_MS);
    expect(alive).toBeGreaterThanOrEqual(SESSION_ABSOLUTE_MS - step);
    expect(w.sessions.find(s.id)).toBeNull();
  });

  test("removing the token from the list ends its sessions; a changed role applies at the next request", () => {
    const w = world();
    const ops = w.add("ops", "operate");
    const s = opened(w.sessions.open(ops));
    const other = opened(w.sessions.open(w.add("other", "read")));
    w.tokens[0] = { ...w.tokens[0]!, role: "read" };
    expect(w.sessions.find(s.id)?.principal.role).toBe("read");
    w.tokens.splice(0, 1);
    expect(w.sessions.find(s.id)).toBeNull();
    expect(w.sessions.find(other.id)?.principal.name).toBe("other");
  });
});
