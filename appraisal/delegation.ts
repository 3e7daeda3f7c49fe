// Delegation: how deep the delegation an action ran under is (`authority.delegation_depth`), and
// from which domains its work came. A profile's `allowed_domains` is read in the sense of §4.6's
// `sourced-data` ("inputs and delegations came from allowed domains"): the agent's own records show
// the domains it works with across a delegation, through links that say a task in another domain
// caused or delegated this one, and through the actors of its `authority.act` chain that are
// agents of another trust domain. Its own domain (the issuing domain and the agent's trust domain) is always allowed.
import type { Actor } from '../statements/index.js';
import type { AuditedEvidence } from './audited.js';
import { clip, type OpenFinding, tierOf } from './findings.js';
import type { Profile } from './profiles.js';

const DELEGATING_LINKS = new Set(['caused-by', 'delegated-by']);
const AGENT_ID = /^(?:spiffe|wimse):\/\/([a-z0-9.-]+)\//;

export function delegationFindings(action: AuditedEvidence, profile: Profile): OpenFinding[] {
  const limits = profile.payload.delegation;
  if (limits === undefined) return [];
  const p = action.payload;
  const base = {
    kind: 'delegation_exceeded' as const,
    tier: tierOf(profile.payload, 'delegation_exceeded'),
    profile: profile.entryId,
    at: action.at,
    count: 1,
    evidence: [action.entryId],
    index: action.index,
  };
  const out: OpenFinding[] = [];
  const depth = p.authority.delegation_depth;
  if (depth !== undefined && depth > limits.max_depth) {
    out.push({ ...base, rule: '/delegation/max_depth', detail: `delegation depth ${depth} (at most ${limits.max_depth})` });
  }
  const allowed = limits.allowed_domains;
  if (allowed !== undefined) {
    const own = new Set([p.domain, AGENT_ID.exec(p.agent.id)?.[1]]);
    const foreign = [...domainsOf(action)].filter((domain) => !own.has(domain) && !allowed.includes(domain)).sort();
    if (foreign.length > 0) out.push({ ...base, rule: '/delegation/allowed_domains', detail: clip(`work delegated across ${foreign.join(', ')}, not an allowed domain`) });
  }
  return out;
}

function domainsOf(action: AuditedEvidence): Set<string> {
  const domains = new Set<string>();
  for (const link of action.payload.corr.links ?? []) {
    if (DELEGATING_LINKS.has(link.rel) && link.domain !== undefined) domains.add(link.domain);
  }
  let actor: Actor | undefined = action.payload.authority.act;
  while (actor !== undefined) {
    const match = AGENT_ID.exec(actor.sub);
    if (match !== null) domains.add(match[1]!);
    actor = actor.act;
  }
  return domains;
}
