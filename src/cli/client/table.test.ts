import { describe, expect, test } from "bun:test";
import { fields, table, text, when } from "./table.ts";

describe("table", () => {
  test("aligns columns to the widest cell, two spaces apart, without trailing spaces", () => {
    const rows = [
      { id: "a", status: "COMPLETED", error: null },
      { id: "long-id", status: "FAILED", error: { name: "E" } },
    ];
    const out = table(
      rows,
      [
        { header: "ID", cell: (r) => r.id },
        { header: "STATUS", cell: (r) => r.status },
        { header: "ERROR", cell: (r) => r.error },
      ],
      "none",
    );
    expect(out).toBe(["ID       STATUS     ERROR", "a        COMPLETED  -", 'long-id  FAILED     {"name":"E"}', ""].join("\n"));
  });

  test("no rows prints the empty message", () => {
    expect(table([], [{ header: "ID", cell: () => 1 }], "no executions match")).toBe("no executions match\n");
  });
});

describe("cells", () => {
  test("null, empty strings and empty lists read as -, lists are joined, newlines folded", () => {
    expect([text(null), text(undefined), text(""), text([]), text(["a", "b"]), text(3), text("x\n  y")]).toEqual([
      "-",
      "-",
      "-",
      "-",
      "a,b",
      "3",
      "x y",
    ]);
  });

  test("times lose their T, milliseconds and Z", () => {
    expect(when("2026-11-29T22:46:37.183Z")).toBe("2026-11-29 22:46:37");
    expect(when("2026-11-29T22:46:37.183Z", true)).toBe("2026-11-29 22:46:37.183");
    expect(when(null)).toBeNull();
  });

  test("fields aligns the values after the keys", () => {
    expect(
      fields([
        ["id", "x"],
        ["status", "RUNNING"],
      ]),
    ).toBe("id:     x\nstatus: RUNNING\n");
  });
});
