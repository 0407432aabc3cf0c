import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = '/usr/bin/openssl';

/** A CA and a server certificate it signed, PEM text and the files they were written to. */
export interface TestCerts {
  readonly caPem: string;
  readonly caFile: string;
  readonly keyPem: string;
  readonly certPem: string;
}

/**
 * Generates a throwaway CA and a server certificate for 127.0.0.1 (SAN IP:127.0.0.1) into `dir`
 * with the openssl CLI. A fresh CA per run means no test ever trusts anything but its own
 * server, and nothing secret is committed. P-256 keys: generating them is near instant.
 */
export async function generateTestCerts(dir: string): Promise<TestCerts> {
  const file = (name: string): string => join(dir, name);
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(OPENSSL, [
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=multus-ts test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run(OPENSSL, [
    'req',
    ...ecKey,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  ]);
  await writeFile(
    file('server.ext'),
    'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' +
      'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n',
  );
  await run(OPENSSL, [
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  ]);
  const [caPem, keyPem, certPem] = await Promise.all([
    readFile(file('ca.crt'), 'utf8'),
    readFile(file('server.key'), 'utf8'),
    readFile(file('server.crt'), 'utf8'),
  ]);
  return { caPem, caFile: file('ca.crt'), keyPem, certPem };
}
