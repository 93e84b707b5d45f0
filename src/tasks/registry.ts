/** The built-in functions. The engine gets a registry as data; callers may add their own entries. */
import type { FunctionRegistry, TaskFunction } from "../domain/function.ts";
import { task1Function, task2Function, task3Function } from "./demo.ts";
import { echo } from "./echo.ts";
import { fail } from "./fail.ts";
import { httpFunction } from "./http.ts";
import { noop } from "./noop.ts";
import { sleep } from "./sleep.ts";

export function builtinFunctions(extra: Record<string, TaskFunction> = {}): FunctionRegistry {
  return new Map<string, TaskFunction>(
    Object.entries({ task1Function, task2Function, task3Function, noop, echo, sleep, fail, http: httpFunction(), ...extra }),
  );
}
