// atlog's one pattern language (docs/statements.md): an exact string, or a prefix and a single
// trailing `*` that matches every string starting with the prefix (`*` alone matches everything).
// Actions, targets and agents in profiles all use it.

export function matches(pattern: string, value: string): boolean {
  return pattern.endsWith('*') ? value.startsWith(pattern.slice(0, -1)) : pattern === value;
}

export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((pattern) => matches(pattern, value));
}
