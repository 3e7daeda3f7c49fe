// The OpenAPI description of the correlation routes (api/correlation-routes.ts): paths and
// schemas, merged into the document by api/openapi.ts. Every object is closed, as the shape test
// (api/operations.test.ts, api/correlation-routes.test.ts) checks the real answers against it.
import { LINK_RELS, VIOLATION_KINDS } from '../correlation/index.js';
import { ENTRY_TYPES } from '../index/index.js';
import { PROBLEM_MEDIA_TYPE } from './problems.js';

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string): JsonObject => ({ description, content: { [PROBLEM_MEDIA_TYPE]: { schema: ref('Problem') } } });
const json = (schema: string, description: string): JsonObject => ({ description, content: { 'application/json': { schema: ref(schema) } } });
const COMMON: JsonObject = {
  '500': problem('Internal Server Error'),
  '503': { ...problem('Service Unavailable: starting or stopping'), headers: { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } },
};
const LIMIT = problem('Limit Exceeded: the answer would pass a documented limit (docs/api.md); the detail names it');

const closed = (required: readonly string[], properties: Record<string, Json>, description?: string): JsonObject => ({
  type: 'object',
  additionalProperties: false,
  ...(description === undefined ? {} : { description }),
  required: [...required],
  properties,
});
const string = { type: 'string' } as const;
const entryId = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const entryIds = { type: 'array', items: entryId } as const;
const count = { type: 'integer', minimum: 0 } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const treeSize = { type: 'integer', minimum: 0, description: 'The tree size the answer reflects: the entry index at that size, nothing registered after' } as const;
const logSize = { type: 'integer', minimum: 0, description: 'The log’s size under its last checkpoint; above treeSize while the index catches up' } as const;

const taskParameter: JsonObject = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The task: its entry id (64 hex), or its task id (ECT jti); a task id used in several workflows needs wid',
  schema: { type: 'string', maxLength: 128 },
};
const TASK_QUERY: readonly JsonObject[] = [
  { name: 'wid', in: 'query', description: 'The workflow of the task id (needed when the id is used in several)', schema: { type: 'string', maxLength: 128 } },
  {
    name: 'scope',
    in: 'query',
    description: 'log (default): follow edges into other workflows; workflow: stay in the task’s own workflow',
    schema: { enum: ['log', 'workflow'], default: 'log' },
  },
];
const TASK_ERRORS: JsonObject = {
  '400': problem('Malformed request: a bad task id, wid or scope, or an entry that is not an execution audit token'),
  '404': problem('Not Found: no such task under the tree size'),
  '409': problem('Conflict: the task id is used in several workflows (or twice in one); give wid or an entry id'),
  '422': LIMIT,
  ...COMMON,
};

export const CORRELATION_PATHS: JsonObject = {
  '/workflows/{wid}/graph': {
    get: {
      summary: 'The graph of one workflow: tasks in causal order, edges (cross-domain ones are links), dangling edges, ECT violations, attached records',
      operationId: 'workflowGraph',
      parameters: [
        { name: 'wid', in: 'path', required: true, description: 'The workflow id (ECT wid)', schema: { type: 'string', maxLength: 128 } },
        { name: 'format', in: 'query', description: 'json (default) or dot (Graphviz); Accept: text/vnd.graphviz also gives DOT', schema: { enum: ['json', 'dot'] } },
      ],
      responses: {
        '200': {
          description: 'The graph',
          content: { 'application/json': { schema: ref('WorkflowGraph') }, 'text/vnd.graphviz': { schema: { type: 'string' } } },
        },
        '400': problem('Malformed request: a bad workflow id or format'),
        '404': problem('Not Found: no entry of the workflow under the tree size'),
        '422': LIMIT,
        ...COMMON,
      },
    },
  },
  '/tasks/{id}/cascade': {
    get: {
      summary: 'Where a task’s failure went (downstream, by domain and agent, a path to each) and where it came from (upstream, root causes)',
      operationId: 'taskCascade',
      parameters: [taskParameter, ...TASK_QUERY],
      responses: { '200': json('Cascade', 'The cascade'), ...TASK_ERRORS },
    },
  },
  '/tasks/{id}/rollback-plan': {
    get: {
      summary: 'The tasks to undo with a task, in reverse causal order, with the forced_rollback overrides and compensations already made',
      operationId: 'taskRollbackPlan',
      parameters: [taskParameter, ...TASK_QUERY],
      responses: { '200': json('RollbackPlan', 'The plan'), ...TASK_ERRORS },
    },
  },
  '/settlement': {
    get: {
      summary: 'Consumer and provider resource usage records paired across a boundary, compared measurement by measurement',
      operationId: 'settlement',
      parameters: [
        { name: 'from', in: 'query', description: 'Only records whose time is at or after this (RFC 3339 date-time, or NumericDate seconds)', schema: string },
        { name: 'to', in: 'query', description: 'Only records whose time is before this (RFC 3339 date-time, or NumericDate seconds)', schema: string },
      ],
      responses: { '200': json('Settlement', 'The pairs and the unpaired records'), '400': problem('Malformed request: a bad from or to'), '422': LIMIT, ...COMMON },
    },
  },
};

const edge = closed(['from', 'to', 'kind', 'par', 'crossDomain', 'crossWorkflow'], {
  from: { ...entryId, description: 'The earlier task' },
  to: { ...entryId, description: 'The later task' },
  kind: { enum: ['parent', 'link'], description: 'parent: an ECT par within one domain; link: a typed link, or a par across domains' },
  rel: { enum: [...LINK_RELS] },
  par: { type: 'boolean', description: 'From the child’s ECT par' },
  crossDomain: { type: 'boolean' },
  crossWorkflow: { type: 'boolean' },
});
const reached = closed(['task', 'depth', 'via', 'path'], {
  task: ref('CorrelationTask'),
  depth: { type: 'integer', minimum: 1 },
  via: ref('CorrelationEdge'),
  path: { ...entryIds, description: 'Entry ids from the task asked about to this one, both included' },
});
const usage = closed(['entryId', 'index', 'time', 'side', 'consumer', 'provider', 'inWindow', 'statement', 'receipt'], {
  entryId,
  index: count,
  time: dateTime,
  iss: string,
  domain: string,
  side: { enum: ['consumer', 'provider'] },
  consumer: closed(['domain'], { domain: string, agent: string }),
  provider: closed(['domain'], { domain: string, service: string, agent: string }),
  wid: string,
  tid: string,
  counterparty: entryId,
  agreement: string,
  status: { enum: ['pending', 'agreed', 'disputed'], description: 'What the record itself declares (settlement.status)' },
  inWindow: { type: 'boolean', description: 'False for a counterparty read from outside the window' },
  statement: string,
  receipt: string,
});

export const CORRELATION_SCHEMAS: Record<string, JsonObject> = {
  CorrelationTask: closed(['entryId', 'index', 'tid', 'wid', 'time', 'registeredAt', 'foreign', 'statement', 'receipt'], {
    entryId,
    index: count,
    tid: { ...string, description: 'The task id (ECT jti)' },
    wid: { ...string, description: 'The workflow (ECT wid)' },
    domain: string,
    agent: string,
    action: { ...string, description: 'ECT exec_act' },
    outcome: { enum: ['ok', 'error', 'denied', 'cancelled', 'compensated'] },
    txn: string,
    traceId: string,
    time: { ...dateTime, description: 'What the issuer claims (iat); never used for order' },
    registeredAt: dateTime,
    foreign: { type: 'boolean', description: 'Of a workflow other than the one(s) asked about' },
    statement: { ...string, description: 'Path of the transparent statement' },
    receipt: { ...string, description: 'Path of the receipt' },
  }),
  CorrelationEdge: edge,
  DanglingEdge: closed(['task', 'tid', 'via', 'foreign'], {
    task: { ...entryId, description: 'The task that names the missing one' },
    tid: string,
    wid: string,
    domain: string,
    via: { enum: ['par', 'link'] },
    rel: { enum: [...LINK_RELS] },
    foreign: { type: 'boolean', description: 'Named as another domain’s or workflow’s: allowed to be missing (ECT partial verification)' },
    candidates: { ...entryIds, description: 'When several tasks of other workflows have that id' },
  }),
  Violation: closed(['kind', 'message', 'entries', 'count'], {
    kind: { enum: [...VIOLATION_KINDS] },
    message: string,
    entries: { ...entryIds, description: 'The entries involved, in log order (at most maxReported)' },
    count: { ...count, description: 'How many entries are involved in all' },
    wid: string,
    tid: string,
    skewMs: { type: 'integer', description: 'parent-after-child: how much later the parent is dated' },
  }),
  WorkflowGraph: closed(['treeSize', 'logSize', 'workflow', 'acyclic', 'stats', 'tasks', 'edges', 'dangling', 'danglingCount', 'violations', 'violationCount', 'records', 'groups'], {
    treeSize,
    logSize,
    workflow: string,
    acyclic: { type: 'boolean' },
    stats: closed(['tasks', 'foreignTasks', 'edges', 'crossDomainEdges', 'records', 'depth', 'maxFanOut', 'domains'], {
      tasks: count,
      foreignTasks: count,
      edges: count,
      crossDomainEdges: count,
      records: count,
      depth: { ...count, description: 'The most edges on one path' },
      maxFanOut: count,
      domains: { type: 'array', items: string },
    }),
    tasks: { type: 'array', items: ref('CorrelationTask'), description: 'In causal order: topological, ties broken by log index' },
    edges: { type: 'array', items: ref('CorrelationEdge') },
    dangling: { type: 'array', items: ref('DanglingEdge') },
    danglingCount: count,
    violations: { type: 'array', items: ref('Violation') },
    violationCount: count,
    records: {
      type: 'array',
      description: 'The workflow’s other statements, and the tasks each is about',
      items: closed(['entryId', 'index', 'type', 'time', 'tasks', 'statement', 'receipt'], {
        entryId,
        index: count,
        type: { enum: [...ENTRY_TYPES] },
        wid: string,
        tid: string,
        action: string,
        phase: string,
        overrideId: string,
        time: dateTime,
        tasks: { type: 'array', items: closed(['task', 'rel'], { task: entryId, rel: { ...string, description: 'task (by corr.tid) or the link relation' } }) },
        statement: string,
        receipt: string,
      }),
    },
    groups: { type: 'array', items: closed(['kind', 'id', 'entries'], { kind: { enum: ['txn', 'trace'] }, id: string, entries: entryIds }) },
  }),
  ReachedTask: reached,
  Cascade: closed(['treeSize', 'logSize', 'scope', 'task', 'workflows', 'downstream', 'upstream'], {
    treeSize,
    logSize,
    scope: { enum: ['log', 'workflow'] },
    task: ref('CorrelationTask'),
    workflows: { type: 'array', items: string, description: 'The workflows loaded to answer' },
    downstream: closed(['tasks', 'byDomain'], {
      tasks: { type: 'array', items: ref('ReachedTask'), description: 'In causal order' },
      byDomain: {
        type: 'array',
        items: closed(['domain', 'count', 'agents'], {
          domain: string,
          count,
          agents: { type: 'array', items: closed(['agent', 'tasks'], { agent: string, tasks: entryIds }) },
        }),
      },
    }),
    upstream: closed(['tasks', 'rootCauses'], {
      tasks: { type: 'array', items: ref('ReachedTask'), description: 'In causal order; each path runs from the task asked about up to it' },
      rootCauses: { ...entryIds, description: 'Failed tasks (error, denied) upstream (or the task itself) with no failed task upstream of them' },
    }),
  }),
  RollbackPlan: closed(['treeSize', 'logSize', 'scope', 'task', 'digest', 'steps', 'overrides', 'compensations'], {
    treeSize,
    logSize,
    scope: { enum: ['log', 'workflow'] },
    task: ref('CorrelationTask'),
    digest: { type: 'string', pattern: '^sha-256:[0-9a-f]{64}$', description: 'SHA-256 of the canonical JSON array of the steps’ entry ids: what rollback.plan_digest names' },
    steps: {
      type: 'array',
      description: 'Reverse causal order: undo the first first',
      items: closed(['task', 'status', 'compensatedBy', 'overrides'], {
        task: ref('CorrelationTask'),
        status: { enum: ['undo', 'compensated'] },
        compensatedBy: entryIds,
        overrides: { type: 'array', items: string },
        depth: { type: 'integer', minimum: 1 },
        path: entryIds,
      }),
    },
    overrides: {
      type: 'array',
      items: closed(['overrideId', 'action', 'targets', 'phases'], {
        overrideId: string,
        action: string,
        level: string,
        method: string,
        to: closed([], { tid: string, entry: entryId }),
        targets: entryIds,
        planDigest: string,
        matchesPlan: { type: 'boolean' },
        phases: { type: 'array', items: closed(['phase', 'entryId', 'index', 'time', 'statement', 'receipt'], { phase: string, entryId, index: count, time: dateTime, statement: string, receipt: string }) },
      }),
    },
    compensations: { type: 'array', items: closed(['task', 'compensates'], { task: ref('CorrelationTask'), compensates: entryIds }) },
  }),
  UsageRecordSummary: usage,
  Settlement: closed(['treeSize', 'logSize', 'records', 'summary', 'pairs', 'unpaired'], {
    treeSize,
    logSize,
    from: dateTime,
    to: dateTime,
    records: { ...count, description: 'Resource usage records in the window' },
    summary: closed(['pairs', 'agreed', 'disputed', 'unpaired'], { pairs: count, agreed: count, disputed: count, unpaired: count }),
    pairs: {
      type: 'array',
      items: closed(['consumer', 'provider', 'pairedBy', 'status', 'measurements'], {
        consumer: ref('UsageRecordSummary'),
        provider: ref('UsageRecordSummary'),
        pairedBy: { type: 'array', items: { enum: ['counterparty_record', 'bills', 'task'] } },
        status: { enum: ['agreed', 'disputed'] },
        measurements: {
          type: 'array',
          items: closed(['name', 'unit', 'consumer', 'provider', 'agree'], {
            name: string,
            unit: string,
            consumer: { type: ['number', 'null'] },
            provider: { type: ['number', 'null'] },
            agree: { type: 'boolean' },
            difference: { type: 'number', description: 'provider − consumer' },
          }),
        },
      }),
    },
    unpaired: { type: 'array', items: closed(['record', 'reason'], { record: ref('UsageRecordSummary'), reason: string }) },
  }),
};
