// Which typed error a call throws, for tests that check codes: anything else is a bug, rethrown.
import type { AtlogError } from '../../util/index.js';

/** The code of the `kind` error `run` throws, or 'ok' when it returns. */
export function errorCode(run: () => unknown, kind: abstract new (...args: never[]) => AtlogError): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    if (err instanceof kind) return err.code;
    throw err;
  }
}

/** The `kind` error `run` throws; fails the test if it returns or throws anything else. */
export function thrown<E extends AtlogError>(run: () => unknown, kind: abstract new (...args: never[]) => E): E {
  try {
    run();
  } catch (err) {
    if (err instanceof kind) return err;
    throw err;
  }
  throw new Error(`expected a ${kind.name}, but it returned`);
}
