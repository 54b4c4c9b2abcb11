// Certificates for TLS tests, made with openssl in a temporary directory: a CA, a server
// certificate for 127.0.0.1 and localhost signed by it, a client certificate signed by it, and a
// second, unrelated CA (the "wrong" one). Files and PEM text both, for Prometheus' web config and
// for promwire's options.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Pem {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

export interface TestCerts {
  readonly dir: string;
  readonly ca: Pem;
  readonly server: Pem;
  readonly client: Pem;
  /** A CA that signed nothing here. */
  readonly otherCa: Pem;
  /** A client certificate signed by `otherCa` (refused by a server trusting `ca`). */
  readonly strangerClient: Pem;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

function pem(dir: string, name: string): Pem {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", `/CN=promwire test ${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
}

function makeLeaf(dir: string, name: string, ca: string, cn: string, ext: string): void {
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`]);
}

/** Make a fresh set (a few hundred ms). */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "promwire-tls-"));
  makeCa(dir, "ca");
  makeCa(dir, "other-ca");
  makeLeaf(dir, "server", "ca", "127.0.0.1", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
  makeLeaf(dir, "client", "ca", "promwire-client", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
  makeLeaf(dir, "stranger", "other-ca", "stranger", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n");
  return {
    dir,
    ca: pem(dir, "ca"),
    server: pem(dir, "server"),
    client: pem(dir, "client"),
    otherCa: pem(dir, "other-ca"),
    strangerClient: pem(dir, "stranger"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
