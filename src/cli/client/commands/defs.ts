/**
 * `baton defs apply|list|show`: definitions through the API. `apply` sends files (or every
 * `*.json` of a folder, sorted, as the jobs folder is read) in order and says per file whether
 * the server created it, found it unchanged, or stored a new version.
 */
import { statSync } from "node:fs";
import { UsageError } from "../../config.ts";
import { definitionFilesIn, readSourceFiles } from "../../definition-files.ts";
import { expectPositionals } from "../args.ts";
import { ClientError } from "../http.ts";
import { EXIT, printJson, type Session, seg, stringFlag } from "../session.ts";
import { fields, table, when } from "../table.ts";

export interface Applied {
  file: string;
  id: string;
  version: number;
  result: "created" | "unchanged" | "new version";
}

/** The files named on the command line, each folder replaced by its `*.json` files. */
export function filesToApply(paths: string[]): string[] {
  return paths.flatMap((path) => {
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`defs apply: ${path}: ${code === "ENOENT" ? "no such file or folder" : `cannot read it (${code})`}`);
    }
    if (!isDir) return [path];
    const files = definitionFilesIn(path) ?? [];
    if (files.length === 0) throw new UsageError(`defs apply: the folder ${path} holds no *.json file`);
    return files;
  });
}

/** What a registration answer means: 201 with version 1 is new, 201 later is a new version, 200 is unchanged. */
export function resultOf(status: number, version: number): Applied["result"] {
  if (status === 200) return "unchanged";
  return version === 1 ? "created" : "new version";
}

export async function defsApply(s: Session): Promise<number> {
  if (s.positionals.length === 0) throw new UsageError("defs apply needs a file or a folder, e.g. baton defs apply jobs/");
  const files = filesToApply(s.positionals);
  const { read, unreadable } = readSourceFiles(files);
  if (unreadable.length > 0) throw new UsageError(`defs apply: ${unreadable[0]!.problem}`);
  // Every file must be JSON before any is sent, so a typo never half-applies a folder.
  for (const { file, text } of read) {
    try {
      JSON.parse(text);
    } catch (err) {
      throw new UsageError(`defs apply: ${file}: not valid JSON (${(err as Error).message})`);
    }
  }
  const applied: Applied[] = [];
  for (const { file, text } of read) {
    try {
      const { status, body } = await s.api.post<{ id: string; version: number }>("/job-definitions", text);
      const entry = { file, id: body.id, version: body.version, result: resultOf(status, body.version) };
      applied.push(entry);
      if (s.output === "table") s.out(`${entry.result} ${entry.id} v${entry.version} (${file})\n`);
    } catch (err) {
      if (s.output === "json") printJson(s, applied);
      if (err instanceof ClientError && err.status !== undefined) throw new ClientError(`${file}: ${err.message}`, err.status);
      throw err;
    }
  }
  if (s.output === "json") printJson(s, applied);
  return EXIT.done;
}

interface Definition {
  id: string;
  name?: string;
  description?: string;
  version: number;
  createdAt: string;
  versions?: number[];
  tasks: { id: string; functionName: string; dependsOn?: string[]; remote?: boolean }[];
  schedules?: { id: string; cron: string }[];
}

export async function defsList(s: Session): Promise<number> {
  expectPositionals("defs list", s.positionals, [], "baton defs list");
  const { body } = await s.api.get<Definition[]>("/job-definitions");
  if (s.output === "json") printJson(s, body);
  else
    s.out(
      table(
        body,
        [
          { header: "ID", cell: (d) => d.id },
          { header: "VERSION", cell: (d) => d.version },
          { header: "TASKS", cell: (d) => d.tasks.length },
          { header: "SCHEDULES", cell: (d) => d.schedules?.map((x) => x.id) },
          { header: "CREATED", cell: (d) => when(d.createdAt) },
          { header: "NAME", cell: (d) => d.name },
        ],
        "no definitions; register one with: baton defs apply FILE",
      ),
    );
  return EXIT.done;
}

export async function defsShow(s: Session): Promise<number> {
  const [id] = expectPositionals("defs show", s.positionals, ["a definition id"], "baton defs show example-job");
  const version = stringFlag(s, "version", "2");
  if (version !== undefined && !/^[1-9]\d{0,9}$/.test(version))
    throw new UsageError(`--version="${version}" must be a whole number from 1`);
  const { body } = await s.api.get<Definition>(`/job-definitions/${seg(id!)}${version === undefined ? "" : `?version=${version}`}`);
  if (s.output === "json") {
    printJson(s, body);
    return EXIT.done;
  }
  s.out(
    fields([
      ["id", body.id],
      ["name", body.name],
      ["version", `${body.version} (versions: ${(body.versions ?? [body.version]).join(", ")})`],
      ["created", when(body.createdAt)],
      ["schedules", body.schedules?.map((x) => `${x.id} (${x.cron})`)],
    ]),
  );
  s.out("\n");
  s.out(
    table(
      // A task without dependsOn depends on the one before it, as the server reads it.
      body.tasks.map((t, i) => ({ ...t, dependsOn: t.dependsOn ?? (i === 0 ? [] : [body.tasks[i - 1]!.id]) })),
      [
        { header: "TASK", cell: (t) => t.id },
        { header: "FUNCTION", cell: (t) => (t.remote ? `${t.functionName} (remote)` : t.functionName) },
        { header: "DEPENDS ON", cell: (t) => t.dependsOn },
      ],
      "no tasks",
    ),
  );
  return EXIT.done;
}
