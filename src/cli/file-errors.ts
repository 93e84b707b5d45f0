/**
 * Words for file-system failures in messages an operator reads: what an errno code means, who
 * this process runs as, and who owns the file. A permission problem is fixed by knowing both.
 */
import { readFileSync, statSync } from "node:fs";

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOENT: "it does not exist",
  EISDIR: "it is a directory",
  ENOTDIR: "it is not a directory",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "the name is too long",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EMFILE: "too many open files",
  EIO: "input/output error",
};

/** "permission denied" for EACCES; the code itself when it has no wording here. */
export function reason(code: string | undefined): string {
  return (code && REASONS[code]) ?? code ?? "unknown error";
}

/** True for the codes a chmod or chown fixes. */
export function isPermission(code: string | undefined): boolean {
  return code === "EACCES" || code === "EPERM";
}

/** "nobody (uid 65534)": a user by name when /etc/passwd knows it. */
export function userLabel(uid: number): string {
  let name: string | undefined;
  try {
    // Bun's os.userInfo() answers "unknown" for users without a HOME of their own (nobody).
    name = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .map((line) => line.split(":"))
      .find((fields) => fields[2] === String(uid))?.[0];
  } catch {
    // no /etc/passwd: the uid alone
  }
  return name ? `${name} (uid ${uid})` : `uid ${uid}`;
}

/** The user this process runs as, e.g. "nobody (uid 65534)". */
export function currentUser(): string {
  return process.getuid ? userLabel(process.getuid()) : "this user";
}

/** "root (uid 0), mode 644": who owns `path` and its permission bits, or null when it cannot be seen. */
export function ownership(path: string): string | null {
  try {
    const st = statSync(path);
    return `${userLabel(st.uid)}, mode ${(st.mode & 0o7777).toString(8).padStart(3, "0")}`;
  } catch {
    return null;
  }
}

/**
 * Why `path` could not be used, for a message: "permission denied for user nobody (uid 65534);
 * the folder belongs to root (uid 0), mode 755" for a permission problem, else the reason alone.
 */
export function denial(code: string | undefined, path: string, what = "the file"): string {
  if (!isPermission(code)) return reason(code);
  const owner = ownership(path);
  return `${reason(code)} for user ${currentUser()}${owner ? `; ${what} belongs to ${owner}` : ""}`;
}
