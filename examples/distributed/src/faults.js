// Fault injection for the tests (and for trying the coordinator's retries by
// hand): the shard's FAULTS binding, a JSON list of rules, each
//   { match: "substring of the object key", mode, iteration?, times?, ms? }
// mode "throw" (the request fails), "hang" (never answers until the caller
// gives up; ms, default 10 min), "malformed" (answers statistics with one
// component's N_k missing), "delay" (answers ms later). A rule applies to
// requests whose key contains `match`, at `iteration` (every one if absent),
// the first `times` times (always if absent). No FAULTS binding: no faults.
const used = new Map();

export async function injectFault(env, body) {
  if (!env.FAULTS) return undefined;
  const rules = JSON.parse(env.FAULTS);
  for (let r = 0; r < rules.length; r++) {
    const rule = rules[r];
    if (!body.key.includes(rule.match)) continue;
    if (rule.iteration !== undefined && rule.iteration !== body.iteration) continue;
    const count = used.get(r) ?? 0;
    if (rule.times !== undefined && count >= rule.times) continue;
    used.set(r, count + 1);
    switch (rule.mode) {
      case "throw":
        throw new Error(`injected fault at iteration ${body.iteration}`);
      case "hang":
        await new Promise((resolve) => setTimeout(resolve, rule.ms ?? 600_000));
        throw new Error("injected hang ended");
      case "delay":
        await new Promise((resolve) => setTimeout(resolve, rule.ms ?? 100));
        return undefined;
      case "malformed":
        return (reply) => ({ ...reply, statistics: { ...reply.statistics, nk: reply.statistics.nk.slice(1) } });
      default:
        throw new Error(`FAULTS: unknown mode ${JSON.stringify(rule.mode)}`);
    }
  }
  return undefined;
}
