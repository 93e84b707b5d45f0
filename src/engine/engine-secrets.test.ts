/**
 * Secrets through a whole run: `{{secrets.NAME}}` reaches the function, and nothing the engine
 * stores or logs holds a secret value afterwards (outputs, errors, events, handler outcomes,
 * task log lines, the list view); an unknown secret fails the attempt for good, naming it.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, recordingLogger, setupStarted } from "../../test/helpers/setup.ts";
import { ErrorNames } from "../domain/errors.ts";
import type { TaskContext } from "../domain/function.ts";
import { Secrets } from "../domain/secrets.ts";

const TOKEN = "s3cr3t-t0ken-value";
const OTHER = "another-secret-value";
const secrets = new Secrets(
  new Map([
    ["TOKEN", TOKEN],
    ["OTHER", OTHER],
  ]),
);

describe("secrets in a run", () => {
  test("resolve for the function, and are redacted from everything stored and logged", async () => {
    const seen: unknown[] = [];
    const logger = recordingLogger();
    const w = await setupStarted({
      secrets,
      logger,
      functions: {
        // Logs and returns what it was given, secret included.
        leak: (ctx: TaskContext) => {
          seen.push(ctx.params);
          ctx.log(`calling with ${String(ctx.params.auth)}`, { auth: ctx.params.auth });
          return { sent: ctx.params, [`key-${TOKEN}`]: 1 };
        },
        // Fails with the secret in its name and message, once.
        boom: (ctx: TaskContext) => {
          if (ctx.attempt > 1) return { ok: true };
          const err = new Error(`upstream refused ${String(ctx.params.auth)}`);
          err.name = `Upstream.${TOKEN}`;
          throw err;
        },
        // Never names a secret, yet meets one (a file, a service): every configured value is redacted.
        service: () => ({ answer: `config holds ${OTHER}` }),
        handler: () => ({ handled: OTHER }),
      },
    });
    await w.register({
      ...definitionOf(
        "j",
        { functionName: "leak", params: { auth: "Bearer {{secrets.TOKEN}}", raw: "{{secrets.TOKEN}}" } },
        { functionName: "boom", params: { auth: "{{secrets.TOKEN}}" }, retry: { maxAttempts: 2, intervalSeconds: 1 } },
        { functionName: "service" },
      ),
      handlers: { onSuccess: { functionName: "handler" } },
    });
    const e = await w.engine.submit("j", {});
    await w.drain();

    expect(seen).toEqual([{ auth: `Bearer ${TOKEN}`, raw: TOKEN }]);
    const done = (await w.store.loadExecution(e.id))!;
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks[0]!.output).toEqual({ sent: { auth: "Bearer ***", raw: "***" }, "key-***": 1 });
    expect(done.tasks[2]!.output).toEqual({ answer: "config holds ***" });

    const stored = JSON.stringify({
      done,
      events: await w.store.events(e.id),
      list: await w.store.listExecutions({ limit: 10 }),
      logs: logger.lines,
    });
    expect(stored).not.toContain(TOKEN);
    expect(stored).not.toContain(OTHER);
    expect(stored).toContain("upstream refused ***");
    expect(stored).toContain("Upstream.***");
    expect(stored).toContain('"handled":"***"');
    expect(logger.lines.find((l) => l.message.startsWith("calling with"))).toMatchObject({
      message: "calling with Bearer ***",
      fields: { auth: "Bearer ***" },
    });
  });

  test("an unknown secret fails the attempt at once, naming it, whatever the retry policy", async () => {
    const calls: unknown[] = [];
    const w = await setupStarted({ secrets, functions: { spy: (ctx: TaskContext) => void calls.push(ctx.params) } });
    await w.register(
      definitionOf("j", {
        functionName: "spy",
        params: { auth: "Bearer {{secrets.NOPE}}" },
        retry: { maxAttempts: 5, errorEquals: [ErrorNames.ALL] },
      }),
    );
    const e = await w.engine.submit("j", {});
    await w.drain();
    const done = (await w.store.loadExecution(e.id))!;
    expect(calls).toEqual([]);
    expect(done.tasks[0]).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(done.tasks[0]!.error).toEqual({
      name: ErrorNames.Runtime,
      message:
        "{{secrets.NOPE}}: no secret named NOPE is configured in this Baton (set BATON_SECRET_NOPE, or add a line NOPE=… to the --secrets-file)",
    });
  });
});
