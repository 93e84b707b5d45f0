import { describe, expect, test } from "bun:test";
import { parseServeConfig, SETTINGS, type ServeConfig, UsageError } from "./config.ts";
import { kindOf } from "./config-file.ts";
import { isSecret, printConfig } from "./print-config.ts";

const FILE = "/etc/baton/baton.toml";

/** Reads only FILE, holding `text`; anything else does not exist. */
function reader(text: string) {
  return (path: string) => {
    if (path === FILE) return text;
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: "ENOENT" });
  };
}

function config(args: string[], env: Record<string, string> = {}, file = ""): ServeConfig {
  const result = parseServeConfig(args, env, reader(file));
  if (result === "help" || "printConfig" in result) throw new Error("expected a configuration");
  return result;
}

function printed(args: string[], env: Record<string, string> = {}, file = ""): string {
  const result = parseServeConfig([...args, "--print-config"], env, reader(file));
  if (result === "help" || !("printConfig" in result)) throw new Error("expected printed text");
  return result.printConfig;
}

/** The one-line message of the UsageError a configuration throws. */
function refusal(args: string[], env: Record<string, string> = {}, file = ""): string {
  try {
    config(args, env, file);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error("expected a UsageError");
}

const withFile = ["--config", FILE];

describe("precedence: flags, then environment, then the file, then defaults", () => {
  test("without any of them, the defaults", () => {
    expect(config([]).port).toBe(8080);
    expect(config(withFile).maxConcurrentJobs).toBe(10);
  });

  test("the file wins over the default", () => {
    const c = config(withFile, {}, 'port = 9001\nmax-concurrent-jobs = 3\nhost = "127.0.0.2"\nshutdown-grace-seconds = 2.5\n');
    expect([c.port, c.maxConcurrentJobs, c.host, c.shutdownGraceSeconds]).toEqual([9001, 3, "127.0.0.2", 2.5]);
  });

  test("the environment wins over the file", () => {
    expect(config(withFile, { BATON_PORT: "9002" }, "port = 9001\n").port).toBe(9002);
  });

  test("a flag wins over the file", () => {
    expect(config([...withFile, "--port", "9003"], {}, "port = 9001\n").port).toBe(9003);
  });

  test("a flag wins over the environment and the file together", () => {
    expect(config([...withFile, "--port", "9003"], { BATON_PORT: "9002" }, "port = 9001\n").port).toBe(9003);
  });

  test("BATON_CONFIG names the file when --config does not; --config wins over it", () => {
    expect(config([], { BATON_CONFIG: FILE }, "port = 9001\n").port).toBe(9001);
    expect(refusal(["--config", "/nowhere.toml"], { BATON_CONFIG: FILE }, "port = 9001\n")).toContain("/nowhere.toml");
  });

  test("booleans: the file turns a switch on, the variable can turn it back off, the flag turns it on", () => {
    expect(config(withFile, {}, "allow-shell-api = true\n").allowShellApi).toBe(true);
    expect(config(withFile, { BATON_ALLOW_SHELL_API: "0" }, "allow-shell-api = true\n").allowShellApi).toBe(false);
    expect(config([...withFile, "--allow-shell-api"], {}, "allow-shell-api = false\n").allowShellApi).toBe(true);
  });

  test("a jobs folder named in the file is explicit (a missing one stops the start), as from a flag", () => {
    expect(config(withFile, {}, "").jobsDirExplicit).toBe(false);
    expect(config(withFile, {}, 'jobs = "/etc/baton/jobs"\n')).toMatchObject({ jobsDir: "/etc/baton/jobs", jobsDirExplicit: true });
  });

  test("every setting is a key of the file, of the TOML type its default implies", () => {
    const lines = Object.values(SETTINGS).map((s) => {
      const kind = kindOf(s);
      const text = typeof s.fallback === "string" && s.fallback !== "" ? s.fallback : `/x/${s.flag}`;
      const value = kind === "boolean" ? "true" : kind === "number" ? String(s.fallback) : JSON.stringify(text);
      return `${s.flag} = ${value}`;
    });
    const text = printed(withFile, {}, `${lines.join("\n")}\n`);
    for (const s of Object.values(SETTINGS)) expect(text).toMatch(new RegExp(`^${s.flag} = .*# file ${FILE}$`, "m"));
  });
});

describe("a bad file exits 2 with one line naming the file and the key", () => {
  const cases: [string, string, string][] = [
    ["a word for a number", 'port = "eighty"', `config file ${FILE}: "port" must be a whole number from 0 to 65535, got "eighty"`],
    ["a number in quotes", 'port = "8080"', `config file ${FILE}: "port" is a number: write port = 8080, without quotes`],
    ["a number out of range", "port = 70000", `config file ${FILE}: "port" must be at most 65535, got 70000`],
    ["a negative number", "max-concurrent-jobs = -1", `"max-concurrent-jobs" must be a whole number from 1 to 10000, got -1`],
    ["a fraction for a whole number", "port = 80.5", `"port" must be a whole number from 0 to 65535, got 80.5`],
    ["nan", "lease-seconds = nan", `"lease-seconds" must be a number from 1 to 3600, got nan`],
    ["an array for a number", "port = [80]", `"port" must be a whole number from 0 to 65535, got an array`],
    ["a quoted boolean", 'allow-shell-api = "true"', `"allow-shell-api" must be true or false without quotes, got "true"`],
    ["a number for a boolean", "allow-shell-api = 1", `"allow-shell-api" must be true or false, got 1`],
    ["a number for a string", "db = 5", `"db" must be a string in quotes, e.g. db = "./data/baton.db", got 5`],
    ["a date for a string", "db = 1979-05-27", `"db" must be a string in quotes, e.g. db = "./data/baton.db", got a date`],
    ["a boolean for a string", "functions = true", `"functions" must be a string in quotes, e.g. functions = "...", got true`],
    ["an empty string", 'host = ""', `"host" must not be empty, got ""`],
    ["a value not in the list", 'sync = "fast"', `"sync" must be one of normal, full, got "fast"`],
    ["snake_case", "max_concurrent_jobs = 3", `unknown key "max_concurrent_jobs"; did you mean "max-concurrent-jobs"?`],
    ["a typo", "max-concurent-jobs = 3", `unknown key "max-concurent-jobs"; did you mean "max-concurrent-jobs"?`],
    ["a variable's name", "BATON_JOBS_DIR = 3", `unknown key "BATON_JOBS_DIR"; did you mean "jobs"?`],
    ["camelCase", "leaseSeconds = 3", `unknown key "leaseSeconds"; did you mean "lease-seconds"?`],
    ["a key far from any", "colour = 1", `unknown key "colour"; the keys are the flags' names, as 'baton serve --help' lists them`],
    ["a table", "[server]\nport = 1", `unknown key "server" (a table): the file has no tables; write each key at the top level`],
    ["the config key itself", 'config = "/etc/other.toml"', `unknown key "config"`],
    ["a syntax error", "port = 8080\nhost = ", `config file ${FILE} is not valid TOML: line 2, column 8: invalid value`],
    ["a key twice", "port = 1\nport = 2", `is not valid TOML: line 2, column 1: trying to redefine an already defined table or value`],
    ["an integer beyond 2^53", "port = 99999999999999999999", "integer value cannot be represented losslessly"],
  ];
  for (const [what, text, message] of cases) {
    test(what, () => {
      const line = refusal(withFile, {}, `${text}\n`);
      expect(line).toContain(message);
      expect(line).toStartWith(`config file ${FILE}`);
      expect(line).not.toContain("\n");
    });
  }

  test("the first problem in the file's order is the one said", () => {
    expect(refusal(withFile, {}, 'colour = 1\nport = "x"\n')).toContain('"colour"');
  });

  test("a bad value in the file is refused even when a flag or variable overrides it", () => {
    expect(refusal([...withFile, "--port", "1"], {}, 'port = "x"\n')).toContain('"port" must be a whole number');
    expect(refusal(withFile, { BATON_PORT: "1" }, "port = 70000\n")).toContain('"port" must be at most 65535, got 70000');
  });

  test("a missing file, and BATON_CONFIG named in the message when it named the file", () => {
    expect(refusal(["--config", "/etc/baton/missing.toml"])).toBe("config file /etc/baton/missing.toml: cannot read it: it does not exist");
    expect(refusal([], { BATON_CONFIG: "/etc/baton/missing.toml" })).toBe(
      "config file /etc/baton/missing.toml (BATON_CONFIG): cannot read it: it does not exist",
    );
  });

  test("an empty --config or BATON_CONFIG", () => {
    expect(refusal(["--config", ""])).toBe("--config is empty; name a TOML file, e.g. /etc/baton/baton.toml");
    expect(refusal([], { BATON_CONFIG: " " })).toBe("BATON_CONFIG is empty; name a TOML file, e.g. /etc/baton/baton.toml");
  });

  test("flags keep their own messages, with the range", () => {
    expect(refusal(["--port", "abc"])).toBe('--port="abc" must be a whole number from 0 to 65535');
    expect(refusal([], { BATON_MAX_CONCURRENT_JOBS: "0" })).toBe('BATON_MAX_CONCURRENT_JOBS="0" must be at least 1');
  });
});

describe("--print-config", () => {
  test("every key with its value and where it came from; unset values as comments; then it can be loaded again", () => {
    const text = printed(
      [...withFile, "--host", "127.0.0.2"],
      { BATON_LOG_LEVEL: "debug" },
      'port = 9001\ndb = "/var/lib/baton/baton.db"\n',
    );
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toStartWith("# baton serve: the effective configuration.");
    expect(lines).toContain(`host = "127.0.0.2"                # flag --host`);
    expect(lines).toContain(`port = 9001                       # file ${FILE}`);
    expect(lines).toContain(`db = "/var/lib/baton/baton.db"    # file ${FILE}`);
    expect(lines).toContain(`log-level = "debug"               # env BATON_LOG_LEVEL`);
    expect(lines).toContain(`max-concurrent-jobs = 10          # default`);
    expect(lines).toContain(`allow-shell-api = false           # default`);
    expect(lines).toContain(`# functions =                     # default: not set`);
    expect(lines).toHaveLength(2 + Object.keys(SETTINGS).length);
    const before = config(
      [...withFile, "--host", "127.0.0.2"],
      { BATON_LOG_LEVEL: "debug" },
      'port = 9001\ndb = "/var/lib/baton/baton.db"\n',
    );
    // Saved, the default jobs folder becomes a named one: a missing folder then stops the start.
    expect(config(withFile, {}, text)).toEqual({ ...before, jobsDirExplicit: true });
  });

  test("strings are escaped as TOML strings", () => {
    expect(printed(["--db", 'C:\\data\\"b".db'])).toContain(`db = "C:\\\\data\\\\\\"b\\".db"`);
  });

  test("a bad configuration is refused before anything is printed", () => {
    expect(() => parseServeConfig(["--port", "x", "--print-config"], {}, reader(""))).toThrow(UsageError);
  });

  test("--help wins over --print-config", () => {
    expect(parseServeConfig(["--print-config", "--help"], {}, reader(""))).toBe("help");
  });
});

describe("which values are masked", () => {
  const s = (flag: string, env: string, secret?: true) => ({ flag, env, ...(secret ? { secret } : {}) });
  test("a key or variable naming a secret, token, password or key", () => {
    for (const [flag, env] of [
      ["admin-token", "BATON_ADMIN_TOKEN"],
      ["db-password", "BATON_DB_PASSWORD"],
      ["webhook-secret", "BATON_WEBHOOK_SECRET"],
      ["api-key", "BATON_API_KEY"],
      ["passwd", "BATON_PASSWD"],
    ] as const)
      expect(isSecret(s(flag, env))).toBe(true);
  });

  test("not a path to where secrets are kept (a variable ending in _FILE or _DIR), nor other settings", () => {
    expect(isSecret(s("secrets-file", "BATON_SECRETS_FILE"))).toBe(false);
    expect(isSecret(s("tokens", "BATON_TOKENS_FILE"))).toBe(false);
    expect(isSecret(s("keys", "BATON_KEYS_DIR"))).toBe(false);
    expect(isSecret(s("port", "BATON_PORT"))).toBe(false);
    expect(isSecret(s("monkey-mode", "BATON_MONKEY_MODE"))).toBe(false);
    for (const setting of Object.values(SETTINGS)) expect(isSecret(setting)).toBe(false);
  });

  test("a setting that declares itself secret, whatever its name", () => {
    expect(isSecret(s("db-url", "BATON_DB_URL", true))).toBe(true);
  });

  test("a masked value is printed as a comment saying it is set, never the value", () => {
    const settings = { adminToken: s("admin-token", "BATON_ADMIN_TOKEN"), port: s("port", "BATON_PORT") };
    const text = printConfig(settings, { adminToken: "hunter22", port: 1 }, new Map([["admin-token", "env BATON_ADMIN_TOKEN"]]));
    expect(text).not.toContain("hunter22");
    expect(text).toContain("# admin-token = (masked)  # env BATON_ADMIN_TOKEN: set, a secret\nport = 1                  # default\n");
  });
});

describe("the safe default", () => {
  test("a non-loopback host from the config file is refused naming the file; --print-config still shows it", () => {
    expect(() => config(withFile, {}, 'host = "0.0.0.0"\n')).toThrow(`the address 0.0.0.0 (file ${FILE}) is reachable from other machines`);
    expect(printed(withFile, {}, 'host = "0.0.0.0"\n')).toContain(`host = "0.0.0.0"`);
  });
});

describe("--metrics-auth", () => {
  test("off by default; on with the flag, the variable or the file, next to --tokens", () => {
    expect(config([]).metricsAuth).toBe(false);
    expect(config(["--metrics-auth", "--tokens", "/etc/baton/tokens"]).metricsAuth).toBe(true);
    expect(config([], { BATON_METRICS_AUTH: "1", BATON_TOKENS_FILE: "/etc/baton/tokens" }).metricsAuth).toBe(true);
    expect(config(withFile, {}, 'metrics-auth = true\ntokens = "/etc/baton/tokens"\n').metricsAuth).toBe(true);
  });

  test("without a token file it is refused, naming where it was set", () => {
    expect(refusal(["--metrics-auth"])).toBe(
      "--metrics-auth (flag --metrics-auth) protects /metrics with tokens, but no token file is named; add --tokens FILE (see 'baton token create'), or drop --metrics-auth to leave /metrics open",
    );
    expect(refusal([], { BATON_METRICS_AUTH: "true" })).toStartWith("--metrics-auth (env BATON_METRICS_AUTH) protects /metrics");
  });
});

describe("retention settings", () => {
  test("30 days and no cap by default; fractions of a day, the variable and the file key count", () => {
    expect([config([]).retentionDays, config([]).retentionMaxExecutions]).toEqual([30, 0]);
    expect(config(["--retention-days", "0.5"]).retentionDays).toBe(0.5);
    expect(config([], { BATON_RETENTION_DAYS: "0", BATON_RETENTION_MAX_EXECUTIONS: "100000" })).toMatchObject({
      retentionDays: 0,
      retentionMaxExecutions: 100000,
    });
    expect(config(withFile, {}, "retention-days = 7\nretention-max-executions = 5000\n")).toMatchObject({
      retentionDays: 7,
      retentionMaxExecutions: 5000,
    });
  });

  test("a bad value is one line naming the flag or variable and the range", () => {
    expect(refusal(["--retention-days=-1"])).toBe('--retention-days="-1" must be a number from 0 to 36500');
    expect(refusal(["--retention-days", "40000"])).toBe('--retention-days="40000" must be at most 36500');
    expect(refusal([], { BATON_RETENTION_MAX_EXECUTIONS: "1.5" })).toBe(
      'BATON_RETENTION_MAX_EXECUTIONS="1.5" must be a whole number from 0 to 1000000000',
    );
  });
});
