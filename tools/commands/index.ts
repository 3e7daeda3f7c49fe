// The `atlog` commands, in the order `atlog --help` lists them. A new command is one module here
// exporting a CliCommand (see ../program.ts), added to this list.

import type { CliCommand } from '../program.js';
import { appraise } from './appraise.js';
import { demo } from './demo.js';
import { inspect } from './inspect.js';
import { keygen } from './keygen.js';
import { monitor } from './monitor.js';
import { register } from './register.js';
import { reindex } from './reindex.js';
import { report } from './report.js';
import { serve } from './serve.js';
import { sign } from './sign.js';
import { token } from './token.js';
import { trace } from './trace.js';
import { verify } from './verify.js';

export const COMMANDS: readonly CliCommand[] = Object.freeze([serve, keygen, sign, register, verify, inspect, monitor, demo, trace, appraise, report, reindex, token]);
