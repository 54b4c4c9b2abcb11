// TLS failures as each runtime reports them (shapes observed against a real Prometheus serving
// TLS with client certificates required: see test/runtimes/network.test.ts for the live runs)
// become TlsErrors naming host and reason; other failures stay NetworkErrors, without URLs'
// queries.
import { describe, expect, it } from "vitest";
import { describeFetchError, tlsError } from "../../../core/client/http/tls-errors.ts";

const url = new URL("https://prom.internal:9443/api/v1/write?tenant=secret-token");
const err = (message: string, fields: Record<string, unknown> = {}, cause?: unknown): Error => Object.assign(new Error(message, { cause }), fields);

describe("TLS errors", () => {
  it("Node: OpenSSL codes on the error or its cause", () => {
    const untrusted = new TypeError("fetch failed", { cause: err("unable to verify the first certificate", { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }) });
    expect(tlsError(untrusted, url)).toMatchObject({
      _tag: "TlsError",
      host: "prom.internal:9443",
      reason: "untrusted-certificate",
      message: "TLS untrusted-certificate for prom.internal:9443: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate; the server's certificate is not signed by a trusted CA: pass that CA as tls.ca (PEM)",
    });
    const alert = err("80CC27565B7F0000:error:0A000412:SSL routines:ssl3_read_bytes:sslv3 alert bad certificate:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1601:SSL alert number 42\n", { code: "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE", reason: "sslv3 alert bad certificate" });
    expect(tlsError(alert, url)?.message).toBe(
      "TLS client-certificate-refused for prom.internal:9443: ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: sslv3 alert bad certificate; the server requires a client certificate it trusts: set tls.cert and tls.key (PEM)",
    );
    expect(tlsError(err("Hostname/IP does not match certificate's altnames", { code: "ERR_TLS_CERT_ALTNAME_INVALID" }), url)?.reason).toBe("hostname-mismatch");
    expect(tlsError(err("certificate has expired", { code: "CERT_HAS_EXPIRED" }), url)?.reason).toBe("certificate-expired");
  });

  it("Deno: rustls' words in the cause, the request URL left out", () => {
    const e = new TypeError("fetch failed", { cause: new Error(`error sending request for url (${url.href}): client error (Connect): invalid peer certificate: UnknownIssuer`) });
    const t = tlsError(e, url)!;
    expect(t.reason).toBe("untrusted-certificate");
    expect(t.message).not.toContain("secret-token");
    expect(tlsError(new TypeError("fetch failed", { cause: new Error("received fatal alert: BadCertificate") }), url)?.reason).toBe("client-certificate-refused");
    expect(tlsError(new TypeError("fetch failed", { cause: new Error("invalid peer certificate: NotValidForName") }), url)?.reason).toBe("hostname-mismatch");
  });

  it("Bun: EPROTO is a TLS handshake failure only on https URLs", () => {
    const e = Object.assign(new TypeError("EPROTO: The TLS handshake failed. Does the server speak TLS on this port?"), { code: "EPROTO" });
    expect(tlsError(e, url)?.message).toBe("TLS handshake for prom.internal:9443: EPROTO: The TLS handshake failed. Does the server speak TLS on this port?; the server ended the handshake: if it requires a client certificate, set tls.cert and tls.key");
    expect(tlsError(e, new URL("http://prom.internal:9090/"))).toBeUndefined();
  });

  it("anything else: a NetworkError naming the cause, never a bare 'fetch failed', never the query", () => {
    const refused = new TypeError("fetch failed", { cause: err(`connect ECONNREFUSED 10.0.0.1:9443 for ${url.href}`, { code: "ECONNREFUSED" }) });
    const n = describeFetchError(refused, url);
    expect(n).toMatchObject({ _tag: "NetworkError" });
    expect(n.message).toBe("network error sending to https://prom.internal:9443/api/v1/write: ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:9443 for https://prom.internal:9443/api/v1/write");
    expect(n.message).not.toContain("secret-token");
  });
});
