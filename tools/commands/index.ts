// The `atlog` commands, in the order `atlog --help` lists them. A new command is one module here
// exporting a CliCommand (see ../program.ts), added to this list.

import type { CliCommand } from '../program.js';
import { inspect } from './inspect.js';
import { keygen } from './keygen.js';
import { sign } from './sign.js';
import { verify } from './verify.js';

export const COMMANDS: readonly CliCommand[] = Object.freeze([keygen, sign, verify, inspect]);
