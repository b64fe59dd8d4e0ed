// Runs once before the test files: inflates the browser tests' Chromium
// (test/runtimes/chromium-path.mjs) so the forked test files find it ready.
import { chromiumPath } from "./runtimes/chromium-path.mjs";

export default async function setup(): Promise<void> {
  await chromiumPath();
}
