/**
 * The shipped systemd unit and scripts/install.sh, checked offline (systemd does not run in
 * this container): install.sh stages the binary, the unit, the sysusers.d entry and /etc/baton
 * under DESTDIR and keeps an operator's config on a second run; `systemd-analyze verify` accepts
 * the installed unit without a word on stderr; `systemd-analyze security` rates it OK or better.
 */
import { describe, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, ROOT, runBaton, tempDir } from "./harness.ts";

const INSTALL = join(ROOT, "scripts", "install.sh");
const UNIT = join(ROOT, "scripts", "baton.service");

function run(argv: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawnSync(argv, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

function systemdAnalyze(): string {
  const found = run(["sh", "-c", "command -v systemd-analyze"]).stdout.trim();
  if (!found) throw new Error("systemd-analyze is missing: install Debian's systemd package (npm test's pretest hook does it as root)");
  return found;
}

/** install.sh run into a fresh DESTDIR, with the host's own units added so that verify can resolve the unit's dependencies. */
function staged(): { root: string; stdout: string } {
  const root = tempDir();
  const result = run(["sh", INSTALL, BINARY], { DESTDIR: root });
  expect(result).toMatchObject({ code: 0, stderr: "" });
  return { root, stdout: result.stdout };
}

describe("install.sh", () => {
  test("stages the binary, the unit as shipped, the baton user and /etc/baton under DESTDIR, and prints what to run next", async () => {
    const { root, stdout } = staged();
    expect(statSync(join(root, "usr/local/bin/baton")).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(root, "usr/local/bin/baton")).equals(readFileSync(BINARY))).toBe(true);
    expect(readFileSync(join(root, "etc/systemd/system/baton.service"), "utf8")).toBe(readFileSync(UNIT, "utf8"));
    expect(readFileSync(join(root, "usr/lib/sysusers.d/baton.conf"), "utf8")).toBe('u baton - "Baton job orchestrator" /var/lib/baton\n');
    expect(statSync(join(root, "etc/baton")).mode & 0o777).toBe(0o750);
    expect(statSync(join(root, "etc/baton/jobs")).isDirectory()).toBe(true);
    expect(stdout).toContain(`${root}/etc/baton/baton.toml (example written)`);
    expect(stdout).toContain("systemctl enable --now baton");
    // The example config is one the binary accepts as it is.
    const printed = await runBaton(["serve", "--config", join(root, "etc/baton/baton.toml"), "--print-config"]);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('db = "/var/lib/baton/baton.db"');
  });

  test("a second run keeps an edited baton.toml and what is in the jobs folder", () => {
    const { root } = staged();
    const config = join(root, "etc/baton/baton.toml");
    writeFileSync(config, 'port = 9999\njobs = "/etc/baton/jobs"\n');
    writeFileSync(join(root, "etc/baton/jobs/mine.json"), "{}");
    const again = run(["sh", INSTALL, BINARY], { DESTDIR: root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("baton.toml (kept as it was)");
    expect(readFileSync(config, "utf8")).toBe('port = 9999\njobs = "/etc/baton/jobs"\n');
    expect(readFileSync(join(root, "etc/baton/jobs/mine.json"), "utf8")).toBe("{}");
  });

  test("PREFIX moves the binary and the unit's ExecStart with it; a missing binary is one line and exit 1", () => {
    const root = tempDir();
    expect(run(["sh", INSTALL, BINARY], { DESTDIR: root, PREFIX: "/opt/baton" }).code).toBe(0);
    expect(existsSync(join(root, "opt/baton/bin/baton"))).toBe(true);
    expect(readFileSync(join(root, "etc/systemd/system/baton.service"), "utf8")).toContain(
      "ExecStart=/opt/baton/bin/baton serve --config /etc/baton/baton.toml\n",
    );
    const missing = run(["sh", INSTALL, join(root, "nope")], { DESTDIR: root });
    expect(missing).toEqual({
      code: 1,
      stdout: "",
      stderr: `install.sh: ${root}/nope is missing or not executable; build it with: npm run build\n`,
    });
  });
});

describe("the unit", () => {
  let installed: string | undefined;
  /** One staged install for both checks; verify resolves After=/WantedBy= targets under --root, so the host's units are added. */
  const root = () => {
    if (installed) return installed;
    installed = staged().root;
    cpSync("/usr/lib/systemd/system", join(installed, "usr/lib/systemd/system"), { recursive: true });
    return installed;
  };

  test("systemd-analyze verify accepts the installed unit with nothing on stderr", () => {
    const result = run([systemdAnalyze(), "verify", `--root=${root()}`, "/etc/systemd/system/baton.service"]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("systemd-analyze security rates the unit OK or better", () => {
    const result = run([systemdAnalyze(), "security", "--offline=yes", `--root=${root()}`, "baton.service"]);
    const overall = /Overall exposure level for baton\.service: ([0-9.]+) (\w+)/.exec(result.stdout);
    expect(overall?.[2]).toMatch(/^(OK|SAFE)$/);
    expect(Number(overall?.[1])).toBeLessThanOrEqual(2);
  });
});
