/**
 * A failed fetch's TLS cause, as a {@link TlsError} naming the host, the reason and what to do,
 * instead of a bare "fetch failed". Each runtime words it differently (checked against a real
 * Prometheus serving TLS with client certificates required): Node puts OpenSSL's code on the
 * error or its `cause` (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE`),
 * Deno has rustls' words in the cause's message (`invalid peer certificate: UnknownIssuer`,
 * `received fatal alert: BadCertificate`), Bun has OpenSSL's code, or `EPROTO` alone when the
 * server ended the handshake.
 */

import { NetworkError, TlsError, type TlsReason } from "../../errors.ts";
import { redactUrl } from "./auth.ts";
import type { AttemptError } from "./types.ts";

const RULES: readonly [TlsReason, RegExp, string][] = [
  [
    "untrusted-certificate",
    /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE|invalid peer certificate: (UnknownIssuer|BadSignature)|self[- ]signed certificate|certificate verify failed/i,
    "the server's certificate is not signed by a trusted CA: pass that CA as tls.ca (PEM)",
  ],
  ["hostname-mismatch", /ERR_TLS_CERT_ALTNAME_INVALID|NotValidForName|does not match certificate|Hostname\/IP does not match/i, "the certificate does not name this host: use a host name it lists"],
  ["certificate-expired", /CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|invalid peer certificate: (Expired|NotValidYet)|certificate has expired/i, "check the server's certificate dates and this machine's clock"],
  [
    "client-certificate-refused",
    /ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|ALERT_ACCESS_DENIED|fatal alert: (BadCertificate|CertificateRequired|UnknownCA|CertificateUnknown|AccessDenied)/i,
    "the server requires a client certificate it trusts: set tls.cert and tls.key (PEM)",
  ],
  ["handshake", /\bEPROTO\b|TLS handshake failed|handshake failure|wrong version number/i, "the server ended the handshake: if it requires a client certificate, set tls.cert and tls.key"],
];

/**
 * A runtime's message without what repeats or may leak: Deno quotes the whole request URL (its
 * query may hold a token), Bun repeats the code.
 */
function clean(message: string, code: unknown): string {
  let m = message.replace(/error sending request for url \([^)]*\): /, "").replace(/\bhttps?:\/\/[^\s)]+/g, (u) => redactUrl(u));
  if (typeof code === "string" && m.startsWith(`${code}: `)) m = m.slice(code.length + 2);
  return m;
}

/** Codes and messages of an error and its causes, one line each. */
function words(err: unknown): string[] {
  const out: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const { code, reason, message, cause } = e as { code?: unknown; reason?: unknown; message?: unknown; cause?: unknown };
    if (typeof code === "string") out.push(code);
    if (typeof reason === "string") out.push(reason);
    // OpenSSL's own lines ("80CC…:error:0A000412:SSL routines:…") say no more than code and reason.
    if (typeof message === "string" && message !== "fetch failed" && !/:error:[0-9A-F]+:/.test(message)) out.push(clean(message.split("\n")[0], code));
    e = cause;
  }
  return out;
}

/**
 * A failed fetch as a typed error: a {@link TlsError} when TLS failed, else a `NetworkError`
 * whose detail names the cause without quoting URLs' queries.
 * @example describeFetchError(err, new URL("https://prom:9090/api/v1/write"))
 */
export function describeFetchError(err: unknown, url: URL): AttemptError {
  return tlsError(err, url) ?? new NetworkError(redactUrl(url), words(err).join(": ") || String(err));
}

/**
 * The TLS failure in `err`, or undefined when it is not one.
 * @example tlsError(new TypeError("fetch failed", { cause: Object.assign(new Error("unable to verify the first certificate"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }) }), new URL("https://prom:9090/"))
 */
export function tlsError(err: unknown, url: URL): TlsError | undefined {
  const said = words(err);
  const text = said.join(" | ");
  for (const [reason, pattern, hint] of RULES) {
    if (!pattern.test(text)) continue;
    // EPROTO alone could be a plain-HTTP server on an https URL: only said of TLS URLs.
    if (reason === "handshake" && url.protocol !== "https:") return undefined;
    const isCode = (w: string): boolean => /^[A-Z][A-Z_0-9]+$/.test(w);
    const code = said.find((w) => isCode(w) && pattern.test(w));
    const words = said.find((w) => !isCode(w));
    return new TlsError(url.host, reason, [code, words].filter((w) => w !== undefined).join(": ") || text, hint);
  }
  return undefined;
}
