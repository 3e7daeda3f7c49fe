// The agent-statements/v1 check through real policies and real signed statements: keys from
// node:crypto, certificate chains from test/support/test-pki.ts, did:jwk issuers in the open
// policy. Every refusal names its rule, its code and the payload path.
import { thrown } from '../test/support/errors.js';
import { KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { CoseAlgorithm, type KeyPair, generateKeyPair, signStatement, type SignStatementOptions } from '../receipts/index.js';
import { loadTrustAnchors } from '../verifier/index.js';
import { generateTestKeys, issueCa, issueLeaf, TEST_NOW, type TestCertificate } from '../test/support/test-pki.js';
import {
  AGENT_STATEMENT_EXAMPLES,
  AGENT_STATEMENT_TYPES,
  type AgentStatementName,
  AgentStatementError,
  PolicyError,
  type RegistrationPolicy,
  createPolicy,
  developmentPolicy,
  didJwkFor,
  loadPolicy,
  parseAgentPayload,
  parsePolicyConfig,
  policySummary,
} from './index.js';
import { agentStatementsCheck, patternContains } from './agent-check.js';

const enc = (value: unknown) => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const mediaType = (name: AgentStatementName) => `application/vnd.atlog.${name}+json`;
const SUBJECTS: Record<AgentStatementName, (payload: any) => string> = {
  'exec-audit': (payload) => payload.agent.id,
  'behavior-attestation': (payload) => payload.agent.id,
  'resource-usage': (payload) => payload.agent.id,
  'override-event': (payload) => payload.override_id,
  'behavior-profile': (payload) => payload.id,
};
const PROFILE_ISS = 'spiffe://domain-a.example/policy/admin';

let agentKey: KeyPair;
let root: TestCertificate;
let adminLeaf: TestCertificate;
let adminKey: KeyObject;
let closed: RegistrationPolicy;

const example = (name: AgentStatementName) => structuredClone(AGENT_STATEMENT_EXAMPLES[name]) as Record<string, any>;

/** A statement of `name` signed as its payload says: CWT iss = payload iss, sub = its subject. */
function statement(name: AgentStatementName, payload: Record<string, any> = example(name), options: Partial<SignStatementOptions> = {}): Uint8Array {
  return signStatement({ key: agentKey.privateKey, iss: payload.iss, sub: SUBJECTS[name](payload), contentType: mediaType(name), payload: enc(payload), iat: 1767225600, ...options });
}

const refusal = (admit: () => unknown): PolicyError => thrown(admit, PolicyError);

/** The refusal of the check: rule, code, the cause's code and path, and the message. */
function refused(admit: () => unknown) {
  const error = refusal(admit);
  expect(error.rule).toBe('payload:agent-statements/v1');
  expect(error.code).toBe('POLICY_PAYLOAD');
  expect(error.cause).toBeInstanceOf(AgentStatementError);
  const cause = error.cause as AgentStatementError;
  return { code: cause.code, path: cause.path, message: error.message };
}

beforeAll(async () => {
  agentKey = generateKeyPair(CoseAlgorithm.ES256);
  const keys = await generateTestKeys();
  root = await issueCa({ subject: 'CN=Domain A Root CA', key: keys.p384a });
  adminLeaf = await issueLeaf({
    subject: 'CN=policy-admin',
    key: keys.p256a,
    issuer: root,
    subjectAltNames: [
      { type: 'url', value: PROFILE_ISS },
      { type: 'dns', value: 'admin.domain-a.example' },
    ],
  });
  adminKey = KeyObject.from(keys.p256a.pair.privateKey);
  closed = createPolicy({
    issuerKeys: [agentKey.publicKey],
    trustAnchors: loadTrustAnchors([root.der]),
    agentStatements: { profileAuthorities: [{ iss: PROFILE_ISS, agents: ['spiffe://domain-a.example/agent/*'] }] },
  });
});

describe('the admission hands on the payload the check read', () => {
  it('for every type, deep-frozen and equal to its own parse; for other statements none', () => {
    for (const { name } of AGENT_STATEMENT_TYPES) {
      const admission = closed.admit(statement(name));
      expect(admission.agentPayload).toEqual(parseAgentPayload(name, admission.statement.payload!));
      expect(Object.isFrozen(admission.agentPayload)).toBe(true);
    }
    const other = signStatement({ key: agentKey.privateKey, iss: 'https://a.example', sub: 's', contentType: 'application/json', payload: enc({ a: 1 }) });
    expect(closed.admit(other).agentPayload).toBeUndefined();
    const envelope = signStatement({ key: agentKey.privateKey, iss: 'https://a.example', sub: 's', payload: enc(example('exec-audit')), hashEnvelope: { preimageContentType: mediaType('exec-audit') } });
    expect(closed.admit(envelope).agentPayload).toBeUndefined();
  });

  it('only from the agent-statements check: another check that returns a value hands on nothing', () => {
    const returning = { name: 'returns-a-value', check: () => ({ agent: 'forged' }) };
    const withOther = createPolicy({ issuerKeys: [agentKey.publicKey], agentStatements: { enabled: false }, payloadChecks: [returning] });
    expect(withOther.admit(statement('exec-audit')).agentPayload).toBeUndefined();
    // Listed by hand instead of by default, the check still hands its payload on, after any other.
    const listed = createPolicy({ issuerKeys: [agentKey.publicKey], agentStatements: { enabled: false }, payloadChecks: [returning, agentStatementsCheck()] });
    const admission = listed.admit(statement('exec-audit'));
    expect(admission.agentPayload).toEqual(parseAgentPayload('exec-audit', admission.statement.payload!));
  });
});

describe('a closed policy with the check (on by default)', () => {
  it('admits the example of every type, signed as its payload says', () => {
    for (const { name } of AGENT_STATEMENT_TYPES) expect(closed.admit(statement(name)).statement.contentType).toBe(mediaType(name));
    expect(closed.description.payloadChecks).toEqual(['agent-statements/v1']);
    expect(createPolicy({ issuerKeys: [agentKey.publicKey] }).description.payloadChecks).toEqual(['agent-statements/v1']);
  });

  it('refuses a payload its schema refuses, with the path and the reason', () => {
    const noStatus = example('exec-audit');
    delete noStatus.outcome.status;
    expect(refused(() => closed.admit(statement('exec-audit', noStatus)))).toEqual({
      code: 'STATEMENT_INVALID',
      path: '/outcome',
      message: 'payload:agent-statements/v1: STATEMENT_INVALID: /outcome: missing required member "status"',
    });
    const reversed = example('behavior-attestation');
    reversed.window.end = '2025-01-01T00:00:00Z';
    expect(refused(() => closed.admit(statement('behavior-attestation', reversed))).message).toBe(
      'payload:agent-statements/v1: STATEMENT_INVALID: /window/end: must not be before start',
    );
    const notJson = statement('resource-usage', example('resource-usage'), { payload: enc('{"profile": 1, "profile": 1}') });
    expect(refused(() => closed.admit(notJson))).toEqual({
      code: 'STATEMENT_MALFORMED',
      path: '',
      message: 'payload:agent-statements/v1: STATEMENT_MALFORMED: not strict JSON: a member name appears twice in one object at character 15',
    });
  });

  it('reads the content type case-insensitively, parameters ignored', () => {
    const bad = example('override-event');
    bad.level = 'urgent';
    const shouted = statement('override-event', bad, { contentType: 'Application/VND.atlog.Override-Event+JSON; charset=utf-8' });
    expect(refused(() => closed.admit(shouted)).message).toBe(
      'payload:agent-statements/v1: STATEMENT_INVALID: /level: must be one of "advisory", "mandatory", "emergency"',
    );
  });

  it('refuses a payload iss that is not the CWT iss', () => {
    const other = statement('exec-audit', example('exec-audit'), { iss: 'spiffe://domain-a.example/agent/impostor' });
    expect(refused(() => closed.admit(other))).toEqual({
      code: 'STATEMENT_ISSUER_MISMATCH',
      path: '/iss',
      message: 'payload:agent-statements/v1: STATEMENT_ISSUER_MISMATCH: /iss: must equal the statement\'s CWT iss "spiffe://domain-a.example/agent/impostor"',
    });
  });

  it('refuses a CWT sub that is not what the statement is about', () => {
    const cases: [AgentStatementName, string][] = [
      ['exec-audit', '/agent/id'],
      ['behavior-attestation', '/agent/id'],
      ['resource-usage', '/agent/id'],
      ['override-event', '/override_id'],
      ['behavior-profile', '/id'],
    ];
    for (const [name, path] of cases) {
      expect(refused(() => closed.admit(statement(name, example(name), { sub: 'task-1' })))).toEqual({
        code: 'STATEMENT_SUBJECT_MISMATCH',
        path,
        message: `payload:agent-statements/v1: STATEMENT_SUBJECT_MISMATCH: ${path}: must equal the statement's CWT sub "task-1": the sub names what the statement is about`,
      });
    }
  });

  it('lets other content types through, and a hash envelope of an agent type unread', () => {
    expect(closed.admit(signStatement({ key: agentKey.privateKey, iss: 'x', sub: 'y', contentType: 'application/json', payload: enc('not json') })).statement.iss).toBe('x');
    expect(closed.admit(signStatement({ key: agentKey.privateKey, iss: 'x', sub: 'y', contentType: 'application/vnd.atlog.unknown+json', payload: enc('{}') })).statement.sub).toBe('y');
    expect(closed.admit(signStatement({ key: agentKey.privateKey, iss: 'x', sub: 'y', contentType: 50, payload: enc('{}') })).statement.contentType).toBe(50);
    const envelope = signStatement({ key: agentKey.privateKey, iss: 'x', sub: 'y', payload: enc('{"not":"an audit token"}'), hashEnvelope: { preimageContentType: mediaType('exec-audit') } });
    expect(closed.admit(envelope).statement.hashEnvelope?.preimageContentType).toBe(mediaType('exec-audit'));
  });

  it('leaves unknown content types to the content-type allow-list', () => {
    const listed = createPolicy({ issuerKeys: [agentKey.publicKey], contentTypes: AGENT_STATEMENT_TYPES.map((type) => type.mediaType) });
    listed.admit(statement('exec-audit'));
    const error = refusal(() => listed.admit(signStatement({ key: agentKey.privateKey, iss: 'x', sub: 'y', contentType: 'application/json', payload: enc('{}') })));
    expect(error.rule).toBe('content-types');
  });

  it('can be turned off', () => {
    const off = createPolicy({ issuerKeys: [agentKey.publicKey], agentStatements: { enabled: false } });
    expect(off.description.payloadChecks).toEqual([]);
    expect(off.description.payloadCheckSettings).toBeUndefined();
    const nonsense = signStatement({ key: agentKey.privateKey, iss: 'anyone', sub: 'anything', contentType: mediaType('exec-audit'), payload: enc({ nonsense: true }) });
    expect(off.admit(nonsense).statement.sub).toBe('anything');
    expect(refused(() => closed.admit(nonsense)).code).toBe('STATEMENT_INVALID');
  });
});

describe('who may register a behavioral profile', () => {
  const profileFor = (agents: string[], iss = PROFILE_ISS) => {
    const profile = example('behavior-profile');
    profile.applies_to.agents = agents;
    profile.iss = iss;
    return profile;
  };

  it('a configured authority, for the agents its patterns contain', () => {
    closed.admit(statement('behavior-profile', profileFor(['spiffe://domain-a.example/agent/planner', 'spiffe://domain-a.example/agent/sub/*'])));
    expect(refused(() => closed.admit(statement('behavior-profile', profileFor(['spiffe://domain-a.example/agent/planner', 'spiffe://domain-a.example/*']))))).toEqual({
      code: 'STATEMENT_NOT_AUTHORIZED',
      path: '/applies_to/agents/1',
      message: 'payload:agent-statements/v1: STATEMENT_NOT_AUTHORIZED: /applies_to/agents/1: the issuer may not speak for this agent: no profile authority for this iss covers it',
    });
    expect(refused(() => closed.admit(statement('behavior-profile', profileFor(['spiffe://domain-b.example/agent/x'])))).path).toBe('/applies_to/agents/0');
    // Another issuer (a known key, but no authority) may not register profiles at all.
    expect(refused(() => closed.admit(statement('behavior-profile', profileFor(['spiffe://domain-a.example/agent/planner'], 'spiffe://domain-a.example/agent/planner'))))).toMatchObject({
      code: 'STATEMENT_NOT_AUTHORIZED',
      path: '/applies_to/agents/0',
    });
  });

  it('pattern containment is the prefix rule', () => {
    expect(patternContains('spiffe://a.example/agent/*', 'spiffe://a.example/agent/x')).toBe(true);
    expect(patternContains('spiffe://a.example/agent/*', 'spiffe://a.example/agent/x/*')).toBe(true);
    expect(patternContains('spiffe://a.example/agent/*', 'spiffe://a.example/agent*')).toBe(false);
    expect(patternContains('spiffe://a.example/agent/x', 'spiffe://a.example/agent/x')).toBe(true);
    expect(patternContains('spiffe://a.example/agent/x', 'spiffe://a.example/agent/x*')).toBe(false);
    expect(patternContains('spiffe://a.example/agent/x', 'spiffe://a.example/agent/xy')).toBe(false);
  });

  it('an anchored certificate whose spiffe:// URI SAN is in each agent’s trust domain', () => {
    const anchoredOnly = createPolicy({ trustAnchors: loadTrustAnchors([root.der]) });
    const signed = (profile: Record<string, any>, iss = PROFILE_ISS) =>
      signStatement({ key: adminKey, iss, sub: profile.id, contentType: mediaType('behavior-profile'), payload: enc(profile), x5chain: [adminLeaf.der] });
    const admitted = anchoredOnly.admit(signed(profileFor(['spiffe://domain-a.example/agent/*', 'wimse://domain-a.example/agent/x'])), { now: TEST_NOW });
    expect(admitted.issuer).toMatchObject({ by: 'x5chain', trust: 'trust-anchor' });
    expect(refused(() => anchoredOnly.admit(signed(profileFor(['spiffe://domain-a.example/agent/x', 'spiffe://domain-b.example/agent/y'])), { now: TEST_NOW }))).toEqual({
      code: 'STATEMENT_NOT_AUTHORIZED',
      path: '/applies_to/agents/1',
      message:
        'payload:agent-statements/v1: STATEMENT_NOT_AUTHORIZED: /applies_to/agents/1: the issuer may not speak for this agent: no profile authority for this iss covers it, and the certificate has no spiffe:// URI SAN in its trust domain "domain-b.example"',
    });
    // The iss must name the leaf (RFC 9943 makes an x5chain iss URI-like, so in practice a URI SAN).
    expect(refused(() => anchoredOnly.admit(signed(profileFor(['spiffe://domain-a.example/agent/x'], 'https://elsewhere.example/'), 'https://elsewhere.example/'), { now: TEST_NOW }))).toEqual({
      code: 'STATEMENT_ISSUER_MISMATCH',
      path: '',
      message: 'payload:agent-statements/v1: STATEMENT_ISSUER_MISMATCH: the CWT iss is neither a URI nor a DNS name in the subjectAltName of the x5chain’s leaf certificate',
    });
  });

  it('in the open policy: only agents of the profile’s own domain (did:jwk and unanchored x5chain issuers)', () => {
    const open = developmentPolicy();
    const did = didJwkFor(agentKey.publicKey);
    const own = profileFor(['spiffe://domain-a.example/agent/*', 'wimse://domain-a.example/agent/x'], did);
    open.admit(signStatement({ key: agentKey.privateKey, iss: did, sub: own.id, contentType: mediaType('behavior-profile'), payload: enc(own) }));
    const foreign = profileFor(['spiffe://domain-a.example/agent/x', 'spiffe://domain-b.example/agent/x'], did);
    expect(refused(() => open.admit(signStatement({ key: agentKey.privateKey, iss: did, sub: foreign.id, contentType: mediaType('behavior-profile'), payload: enc(foreign) })))).toEqual({
      code: 'STATEMENT_NOT_AUTHORIZED',
      path: '/applies_to/agents/1',
      message:
        'payload:agent-statements/v1: STATEMENT_NOT_AUTHORIZED: /applies_to/agents/1: the open development policy admits a profile only for agents of its own domain "domain-a.example"; this agent is in "domain-b.example"',
    });
    // An x5chain to a self-signed root the open policy does not know: the same domain rule.
    const chained = profileFor(['spiffe://domain-b.example/agent/x']);
    const unanchored = signStatement({ key: adminKey, iss: PROFILE_ISS, sub: chained.id, contentType: mediaType('behavior-profile'), payload: enc(chained), x5chain: [adminLeaf.der, root.der] });
    expect(refused(() => open.admit(unanchored, { now: TEST_NOW })).code).toBe('STATEMENT_NOT_AUTHORIZED');
    chained.applies_to.agents = ['spiffe://domain-a.example/agent/x'];
    open.admit(signStatement({ key: adminKey, iss: PROFILE_ISS, sub: chained.id, contentType: mediaType('behavior-profile'), payload: enc(chained), x5chain: [adminLeaf.der, root.der] }), { now: TEST_NOW });
  });

  it('the open policy validates the other types too', () => {
    const open = developmentPolicy();
    const did = didJwkFor(agentKey.publicKey);
    const audit = example('exec-audit');
    audit.iss = did;
    open.admit(signStatement({ key: agentKey.privateKey, iss: did, sub: audit.agent.id, contentType: mediaType('exec-audit'), payload: enc(audit) }));
    audit.par = ['bad parent'];
    expect(refused(() => open.admit(signStatement({ key: agentKey.privateKey, iss: did, sub: audit.agent.id, contentType: mediaType('exec-audit'), payload: enc(audit) }))).path).toBe('/par/0');
  });
});

describe('configuration', () => {
  const authority = { iss: PROFILE_ISS, agents: ['spiffe://domain-a.example/agent/*'] };
  const configError = (make: () => unknown) => {
    const error = refusal(make);
    expect(error.code).toBe('POLICY_CONFIG');
    return { setting: error.setting, message: error.message };
  };
  const fromFile = (agentStatements: unknown) =>
    loadPolicy(parsePolicyConfig(JSON.stringify({ agentStatements })), { baseDir: '/nowhere', readFile: () => new Uint8Array(), extra: {} });

  it('reads the agentStatements section of a configuration file', () => {
    const pem = agentKey.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const file = (agentStatements: unknown) =>
      loadPolicy(parsePolicyConfig(JSON.stringify({ issuers: { keys: ['a.pem'] }, agentStatements })), { baseDir: '/nowhere', readFile: () => enc(pem) });
    const configured = file({ profileAuthorities: [authority] });
    expect(configured.description.payloadCheckSettings).toEqual({ 'agent-statements/v1': { profileAuthorities: [authority] } });
    configured.admit(statement('behavior-profile'));
    expect(file({ enabled: false }).description.payloadChecks).toEqual([]);
    expect(file(undefined).description.payloadChecks).toEqual(['agent-statements/v1']);
  });

  it('names the setting at fault', () => {
    // A configured policy without issuers is refused later; these settings are refused first.
    expect(configError(() => fromFile({ color: 1 }))).toEqual({ setting: 'agentStatements.color', message: 'agentStatements.color: is not a setting (known: enabled, profileAuthorities)' });
    expect(configError(() => fromFile({ enabled: 'yes' })).setting).toBe('agentStatements.enabled');
    expect(configError(() => fromFile({ enabled: false, profileAuthorities: [] })).setting).toBe('agentStatements.profileAuthorities');
    expect(configError(() => fromFile({ profileAuthorities: [{ iss: PROFILE_ISS, agents: ['spiffe://domain-a.example*'] }] }))).toEqual({
      setting: 'agentStatements.profileAuthorities[0].agents[0]',
      message:
        'agentStatements.profileAuthorities[0].agents[0]: must be an agent id (spiffe:// or wimse://, a trust domain and a path) or a prefix naming the trust domain followed by one *',
    });
    expect(configError(() => fromFile({ profileAuthorities: [{ iss: '', agents: ['spiffe://a.example/x'] }] })).setting).toBe('agentStatements.profileAuthorities[0].iss');
    expect(configError(() => fromFile({ profileAuthorities: [{ iss: 'a', agents: [] }] })).setting).toBe('agentStatements.profileAuthorities[0].agents');
    expect(configError(() => fromFile({ profileAuthorities: [authority, authority] })).setting).toBe('agentStatements.profileAuthorities[1].iss');
    expect(configError(() => fromFile({ profileAuthorities: [{ ...authority, extra: 1 }] })).setting).toBe('agentStatements.profileAuthorities[0].extra');
    expect(configError(() => fromFile([])).setting).toBe('agentStatements');
    expect(configError(() => developmentPolicy({ agentStatements: { profileAuthorities: [authority] } }))).toMatchObject({ setting: 'agentStatements.profileAuthorities' });
  });

  it('is in the description, so the digest changes with it, and in the summary', () => {
    const digest = (agentStatements?: unknown) => createPolicy({ issuerKeys: [agentKey.publicKey], ...(agentStatements === undefined ? {} : { agentStatements: agentStatements as never }) }).digest;
    const digests = [
      digest(),
      digest({ enabled: false }),
      digest({ profileAuthorities: [authority] }),
      digest({ profileAuthorities: [{ ...authority, agents: ['spiffe://domain-a.example/agent/planner'] }] }),
    ];
    expect(new Set(digests).size).toBe(4);
    expect(digest({})).toBe(digests[0]);
    // Order does not matter.
    const two = { iss: 'did:example:b', agents: ['spiffe://b.example/x', 'spiffe://b.example/a/*'] };
    expect(digest({ profileAuthorities: [authority, two] })).toBe(digest({ profileAuthorities: [{ ...two, agents: [...two.agents].reverse() }, authority] }));
    expect(policySummary(closed)).toMatch(/; payload checks agent-statements\/v1 \(profile authorities "spiffe:\/\/domain-a\.example\/policy\/admin"\)$/);
    expect(policySummary(createPolicy({ issuerKeys: [agentKey.publicKey] }))).toMatch(/payload checks agent-statements\/v1 \(no profile authorities\)$/);
    expect(policySummary(developmentPolicy())).toContain('payload checks agent-statements/v1 (no profile authorities). Behavioral profiles are admitted only for agents of their own domain.');
    expect(closed.description.payloadCheckSettings).toEqual({ 'agent-statements/v1': { profileAuthorities: [authority] } });
    expect(Object.isFrozen(closed.description.payloadCheckSettings)).toBe(true);
  });

  it('is a payload check one can also list by hand', () => {
    const check = agentStatementsCheck({ profileAuthorities: [authority] });
    expect(check.name).toBe('agent-statements/v1');
    const listed = createPolicy({ issuerKeys: [agentKey.publicKey], agentStatements: { enabled: false }, payloadChecks: [check] });
    expect(listed.digest).toBe(createPolicy({ issuerKeys: [agentKey.publicKey], agentStatements: { profileAuthorities: [authority] } }).digest);
    expect(refusal(() => createPolicy({ issuerKeys: [agentKey.publicKey], payloadChecks: [check] })).code).toBe('POLICY_BAD_ARGUMENT'); // twice
  });
});
