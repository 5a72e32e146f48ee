import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TlsConfigError, loadTlsMaterial } from '../../src/security/tls-material.js';
import { CertDirectory, opensslAvailable, type CertAuthority } from './certs.js';

const skip = opensslAvailable() ? false : 'the openssl command is not installed';

describe('loadTlsMaterial', { skip }, () => {
  let certs: CertDirectory;
  let ca: CertAuthority;
  before(() => {
    certs = new CertDirectory();
    ca = certs.authority('ca');
  });
  after(() => {
    certs.remove();
  });

  it('reads nothing when no file is named', async () => {
    assert.equal(await loadTlsMaterial({ cert: '', key: '', ca: '' }, '--tls'), undefined);
  });

  it('reads a certificate, its key and a CA', async () => {
    const leaf = ca.issue('leaf');
    const m = await loadTlsMaterial(
      { cert: leaf.certFile, key: leaf.keyFile, ca: ca.certFile },
      '--tls',
    );
    assert.deepEqual(m, { cert: leaf.cert, key: leaf.key, ca: ca.cert });
  });

  it('names the flag and file of what it cannot use', async () => {
    const leaf = ca.issue('leaf2');
    const other = ca.issue('other');
    const rejects = (files: { cert: string; key: string; ca: string }, message: RegExp) =>
      assert.rejects(loadTlsMaterial(files, '--peer-tls'), (err: unknown) => {
        assert.ok(err instanceof TlsConfigError);
        assert.match(err.message, message);
        return true;
      });
    await rejects(
      { cert: '/no/such/cert.pem', key: leaf.keyFile, ca: '' },
      /cannot read --peer-tls-cert file \/no\/such\/cert\.pem/,
    );
    await rejects(
      { cert: leaf.certFile, key: other.keyFile, ca: '' },
      /--peer-tls-cert .* and --peer-tls-key .* are not a usable certificate and key/,
    );
    await rejects(
      { cert: certs.file('garbage.pem', 'not a certificate'), key: leaf.keyFile, ca: '' },
      /not a usable certificate and key/,
    );
    await rejects(
      { cert: leaf.certFile, key: leaf.keyFile, ca: certs.file('bad-ca.pem', 'nonsense') },
      /--peer-tls-ca .* is not a PEM certificate bundle/,
    );
    await rejects({ cert: leaf.certFile, key: '', ca: '' }, /must be given together/);
  });
});
