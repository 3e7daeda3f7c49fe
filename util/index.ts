export { AtlogError } from './errors.js';
export {
  bytesEqual,
  constantTimeEqual,
  fromBase64,
  fromHex,
  readUint64BE,
  toBase64,
  toHex,
  writeUint64BE,
} from './bytes.js';
export { type CanonicalJson, canonicalJson, JsonSyntaxError, parseStrictJson, type StrictJsonLimits } from './json.js';
