// The physical limit of registration: one ES256 verification per statement. Measured on one core
// in CPU time (the machine's speed swings; CPU time does not see other processes), in short
// slices, the median reported, at the moments the service is idle.
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { cpuClock, rate } from '../measure.js';

export function es256Ceiling(slices = 5): number {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // A Sig_structure of a typical statement's protected header and a 32-byte digest-sized payload.
  const toBeSigned = new Uint8Array(206).fill(7);
  const signature = sign('sha256', toBeSigned, { key: privateKey, dsaEncoding: 'ieee-p1363' });
  const readings = Array.from({ length: slices }, () => rate(() => verify('sha256', toBeSigned, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature), 0.25, cpuClock));
  return readings.sort((a, b) => a - b)[Math.floor(slices / 2)]!;
}
