/** `noop`: does nothing, returns null. For benchmarks and placeholders. */
export const noop = () => null;
