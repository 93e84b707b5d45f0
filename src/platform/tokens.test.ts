import { describe, expect, test } from "bun:test";
import { newToken, tokenDigest, tokenVerifier } from "./tokens.ts";

describe("tokens", () => {
  test("a new token is 32 random bytes in base64url, different every time", () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, "base64url")).toHaveLength(32);
    expect(newToken()).not.toBe(a);
  });

  test("the digest is the SHA-256 of the token's UTF-8 bytes, in hex", () => {
    expect(tokenDigest("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  test("the verifier finds the token whose digest matches, whichever position it has, and nothing else", () => {
    const tokens = ["t-one", "t-two", "t-three"];
    const verify = tokenVerifier(tokens.map((t, i) => ({ name: `n${i}`, role: "read" as const, sha256: tokenDigest(t) })));
    expect(tokens.map((t) => verify(t)?.name)).toEqual(["n0", "n1", "n2"]);
    expect(verify("t-four")).toBeNull();
    expect(verify("")).toBeNull();
    expect(verify("x".repeat(513))).toBeNull();
    expect(tokenVerifier([])("t-one")).toBeNull();
  });
});
