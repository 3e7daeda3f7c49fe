// A checker for the small part of JSON Schema draft 2020-12 the appraisal result's schema uses, so
// a result is read against the published schema itself. Reports the first failure as a JSON
// Pointer and a reason. Not a general validator: an unsupported keyword is a programming error.

type Schema = { readonly [keyword: string]: unknown };

const KNOWN = new Set([
  '$schema', '$id', '$defs', '$ref', 'title', 'description', 'format',
  'type', 'const', 'enum', 'required', 'properties', 'additionalProperties', 'propertyNames', 'minProperties', 'maxProperties',
  'items', 'minItems', 'maxItems', 'uniqueItems', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern',
]);

export interface SchemaFailure {
  readonly path: string;
  readonly reason: string;
}

export function checkSchema(root: Schema, value: unknown): SchemaFailure | undefined {
  return check(root, root, value, '');
}

function check(root: Schema, schema: Schema, value: unknown, path: string): SchemaFailure | undefined {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) throw new Error(`unsupported JSON Schema keyword ${keyword}`);
  if (typeof schema.$ref === 'string') {
    const name = /^#\/\$defs\/(.+)$/.exec(schema.$ref)?.[1];
    const target = name === undefined ? undefined : (root.$defs as Record<string, Schema> | undefined)?.[name];
    if (target === undefined) throw new Error(`unresolvable $ref ${schema.$ref}`);
    return check(root, target, value, path);
  }
  const fail = (reason: string) => ({ path, reason });
  if ('const' in schema && value !== schema.const) return fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return fail(`must be one of ${schema.enum.join(', ')}`);
  switch (schema.type) {
    case 'object':
      return checkObject(root, schema, value, path);
    case 'array':
      return checkArray(root, schema, value, path);
    case 'string':
      if (typeof value !== 'string') return fail('must be a string');
      if (typeof schema.minLength === 'number' && [...value].length < schema.minLength) return fail(`must be at least ${schema.minLength} characters`);
      if (typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return fail(`must be at most ${schema.maxLength} characters`);
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) return fail(`must match ${schema.pattern}`);
      return undefined;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail('must be an integer');
      if (typeof schema.minimum === 'number' && value < schema.minimum) return fail(`must be at least ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && value > schema.maximum) return fail(`must be at most ${schema.maximum}`);
      return undefined;
    case undefined:
      return undefined;
    default:
      throw new Error(`unsupported type ${String(schema.type)}`);
  }
}

function checkObject(root: Schema, schema: Schema, value: unknown, path: string): SchemaFailure | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { path, reason: 'must be an object' };
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  if (typeof schema.minProperties === 'number' && keys.length < schema.minProperties) return { path, reason: `must have at least ${schema.minProperties} members` };
  if (typeof schema.maxProperties === 'number' && keys.length > schema.maxProperties) return { path, reason: `must have at most ${schema.maxProperties} members` };
  for (const key of keys) {
    const at = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (schema.propertyNames !== undefined) {
      const failure = check(root, schema.propertyNames as Schema, key, at);
      if (failure !== undefined) return { path: at, reason: `member name ${failure.reason}` };
    }
    const member = properties[key] ?? (typeof schema.additionalProperties === 'object' ? (schema.additionalProperties as Schema) : undefined);
    if (member === undefined) {
      if (schema.additionalProperties === false) return { path: at, reason: 'unknown member' };
      continue;
    }
    const failure = check(root, member, object[key], at);
    if (failure !== undefined) return failure;
  }
  for (const key of (schema.required ?? []) as string[]) if (!(key in object)) return { path, reason: `missing required member "${key}"` };
  return undefined;
}

function checkArray(root: Schema, schema: Schema, value: unknown, path: string): SchemaFailure | undefined {
  if (!Array.isArray(value)) return { path, reason: 'must be an array' };
  if (typeof schema.minItems === 'number' && value.length < schema.minItems) return { path, reason: `must have at least ${schema.minItems} items` };
  if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) return { path, reason: `must have at most ${schema.maxItems} items` };
  if (schema.uniqueItems === true && new Set(value.map((item) => JSON.stringify(item))).size !== value.length) return { path, reason: 'must not repeat an item' };
  if (schema.items !== undefined) {
    for (let i = 0; i < value.length; i++) {
      const failure = check(root, schema.items as Schema, value[i], `${path}/${i}`);
      if (failure !== undefined) return failure;
    }
  }
  return undefined;
}
