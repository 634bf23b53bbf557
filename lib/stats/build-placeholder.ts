/**
 * Marks a response `next build` prerenders without a database: there is none at build time,
 * and numbers from a build machine would be wrong anyway. scripts/drop-build-placeholders.mjs
 * deletes entries carrying this header from the build's cache output, so the first real
 * request renders them. No imports: that Node script reads this file directly.
 */
export const BUILD_PLACEHOLDER_HEADER = "x-routeflare-build-placeholder";
