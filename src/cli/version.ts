import pkg from "../../package.json" with { type: "json" };

declare const BATON_BUILD: string | undefined;

/** `0.1.0` from package.json, plus the build's commit when compiled by scripts/build.ts. */
export const VERSION: string = typeof BATON_BUILD === "string" && BATON_BUILD ? `${pkg.version}+${BATON_BUILD}` : `${pkg.version}-dev`;
