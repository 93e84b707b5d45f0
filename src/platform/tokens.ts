/**
 * The cryptography of API tokens (`node:crypto`): making a new random token, its SHA-256, and
 * finding which configured token a request presents in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal, TokenEntry, TokenVerifier } from "../domain/auth.ts";

/** Bytes of randomness in a new token: 256 bits, well over the 128 a SHA-256 lookup needs. */
const TOKEN_BYTES = 32;

/** A presented token longer than this is refused without hashing: no real token is near it. */
const MAX_TOKEN_LENGTH = 512;

/** A new token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/** The SHA-256 of a token, lowercase hex: what the token file stores. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The presented token is hashed once, then its digest is compared with every configured
 * digest by `timingSafeEqual`, without stopping at a match: the time depends on how many
 * tokens are configured, never on which one matched or how much of a digest was right.
 */
export function tokenVerifier(entries: readonly TokenEntry[]): TokenVerifier {
  const known = entries.map((e) => ({ digest: Buffer.from(e.sha256, "hex"), principal: { name: e.name, role: e.role } }));
  return (token) => {
    if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return null;
    const presented = createHash("sha256").update(token, "utf8").digest();
    let found: Principal | null = null;
    for (const k of known) {
      const same = timingSafeEqual(presented, k.digest);
      found = same ? k.principal : found;
    }
    return found;
  };
}
