// Types for what the tests import from eslint.config.mjs.
import type { Linter } from "eslint";

/** lib/ folders by layer, bottom to top. */
export const LIB_LAYERS: string[][];
declare const config: Linter.Config[];
export default config;
