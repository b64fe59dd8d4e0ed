// The tests import plain-JavaScript helpers (the runtime scenario, the
// examples' scripts): type-checked as untyped modules, their own checks are
// their tests.
declare module "*.mjs";
declare module "*/anomaly.js";
