/**
 * Throwaway certificates for TLS tests, made with the openssl command line (node:crypto makes
 * keys but not X.509 certificates). EC P-256 keys: fast to generate. Every certificate names
 * 127.0.0.1 and localhost and may serve as a server or a client certificate.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Paths of a certificate and its key, and their contents. */
export interface IssuedCert {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
}

export interface CertAuthority extends IssuedCert {
  /** Issues a leaf certificate for 127.0.0.1 and localhost signed by this CA. */
  issue(name: string): IssuedCert;
}

/** Whether the openssl command is there; TLS tests skip (saying why) when it is not. */
export function opensslAvailable(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** openssl req arguments for a new unencrypted EC P-256 key written to `keyFile`. */
function newKeyArgs(keyFile: string): string[] {
  return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile];
}

/** A new P-256 key and a self-signed certificate for it, valid two days, with extensions. */
function selfSign(name: string, keyFile: string, certFile: string, extensions: string[]): void {
  openssl([
    'req',
    '-x509',
    ...newKeyArgs(keyFile),
    '-out',
    certFile,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
}

/** A directory of certificates; remove() deletes it. */
export class CertDirectory {
  readonly dir = mkdtempSync(join(tmpdir(), 'redraft-certs-'));

  /** A self-signed CA named `name`. */
  authority(name: string): CertAuthority {
    const keyFile = join(this.dir, `${name}.key`);
    const certFile = join(this.dir, `${name}.pem`);
    selfSign(name, keyFile, certFile, [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return {
      ...this.read(certFile, keyFile),
      issue: (leaf) => this.issue(leaf, certFile, keyFile),
    };
  }

  /** A self-signed leaf certificate (no CA), for a server that shares one certificate. */
  selfSigned(name: string): IssuedCert {
    const keyFile = join(this.dir, `${name}.key`);
    const certFile = join(this.dir, `${name}.pem`);
    selfSign(name, keyFile, certFile, ['subjectAltName=IP:127.0.0.1,DNS:localhost']);
    return this.read(certFile, keyFile);
  }

  /** Writes `text` to a file in the directory (e.g. a damaged certificate). */
  file(name: string, text: string | Buffer): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private issue(name: string, caCert: string, caKey: string): IssuedCert {
    const keyFile = join(this.dir, `${name}.key`);
    const csrFile = join(this.dir, `${name}.csr`);
    const certFile = join(this.dir, `${name}.pem`);
    const extFile = join(this.dir, `${name}.ext`);
    writeFileSync(
      extFile,
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '',
      ].join('\n'),
    );
    openssl(['req', '-new', ...newKeyArgs(keyFile), '-out', csrFile, '-subj', `/CN=${name}`]);
    openssl([
      'x509',
      '-req',
      '-in',
      csrFile,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '2',
      '-extfile',
      extFile,
      '-out',
      certFile,
    ]);
    return this.read(certFile, keyFile);
  }

  private read(certFile: string, keyFile: string): IssuedCert {
    return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
  }
}
