/**
 * Who makes a request, as the authentication middleware (`auth.ts`) leaves it on the context
 * for the handlers: the token's name becomes the `actor` of the events a command appends.
 */
import type { Context } from "hono";
import type { Principal } from "../domain/auth.ts";

/** The context variable the middleware sets. */
export const PRINCIPAL = "principal";

/** The caller of this request; null when tokens are not configured. */
export const principalOf = (c: Context): Principal | null => (c.get(PRINCIPAL) as Principal | undefined) ?? null;

/** The name the request's events record as `actor`; null without tokens. */
export const actorOf = (c: Context): string | null => principalOf(c)?.name ?? null;
