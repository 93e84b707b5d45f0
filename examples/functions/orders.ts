/**
 * An example function module: `baton serve --functions examples/functions` loads it, and its
 * two exported functions become `loadRates` and `convertOrders`, used by
 * `examples/jobs/convert-orders.json`. See docs/function-modules.md.
 *
 * The `import type` line gives editors and tsc the task contract; it is erased when Baton
 * loads the file, so the module runs the same when copied next to the binary on its own.
 */
import { readFile } from "node:fs/promises";
import type { TaskContext } from "../../src/domain/function.ts";

/** The rates file is not there yet (another system drops it): worth retrying. */
export class RatesNotReady extends Error {
  override name = "RatesNotReady";
}

/** Input no retry can fix. Baton never retries an error named `States.NonRetryable`. */
class BadInput extends Error {
  override name = "States.NonRetryable";
}

/**
 * Reads exchange rates (`{"base": "EUR", "rates": {"USD": 1.08, …}}`) from `params.path`.
 * While the file is missing it throws `RatesNotReady`, which the definition retries.
 */
export async function loadRates(ctx: TaskContext): Promise<{ base: string; rates: Record<string, number> }> {
  const { path } = ctx.params;
  if (typeof path !== "string" || path === "") throw new BadInput("params.path must name the rates file");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new RatesNotReady(`no rates file at ${path} yet`);
    throw err;
  }
  const parsed = JSON.parse(text) as { base?: unknown; rates?: unknown };
  if (typeof parsed.base !== "string" || typeof parsed.rates !== "object" || parsed.rates === null) {
    throw new BadInput(`${path} must hold {"base": "EUR", "rates": {"USD": 1.08, …}}`);
  }
  ctx.log("rates loaded", { path, currencies: Object.keys(parsed.rates).length });
  return { base: parsed.base, rates: parsed.rates as Record<string, number> };
}

interface OrderLine {
  sku: string;
  quantity: number;
  unitPrice: number;
  currency: string;
}

/**
 * Converts `params.orders` (order lines in any currency) to the rates' base currency with
 * `params.rates` (the output of `loadRates`), and totals them per SKU.
 */
export function convertOrders(ctx: TaskContext): { currency: string; lines: number; total: number; bySku: Record<string, number> } {
  const { orders, rates } = ctx.params as { orders?: unknown; rates?: { base: string; rates: Record<string, number> } };
  if (!Array.isArray(orders)) throw new BadInput("params.orders must be an array of order lines");
  if (rates === undefined) throw new BadInput("params.rates must be the output of loadRates");
  const bySku: Record<string, number> = {};
  let total = 0;
  for (const [i, line] of (orders as OrderLine[]).entries()) {
    const rate = line.currency === rates.base ? 1 : rates.rates[line.currency];
    if (rate === undefined) throw new BadInput(`orders[${i}]: no rate for currency ${JSON.stringify(line.currency)}`);
    // Rates say how much of the currency one unit of the base buys, so divide.
    const amount = Math.round((line.quantity * line.unitPrice * 100) / rate) / 100;
    bySku[line.sku] = Math.round(((bySku[line.sku] ?? 0) + amount) * 100) / 100;
    total += amount;
  }
  return { currency: rates.base, lines: orders.length, total: Math.round(total * 100) / 100, bySku };
}
