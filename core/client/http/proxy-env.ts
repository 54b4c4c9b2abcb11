/**
 * Which proxy a request takes: the `proxy` option for every request, else the environment as Go's
 * `http.ProxyFromEnvironment` (what Prometheus uses) reads it — `HTTPS_PROXY` for https URLs,
 * `HTTP_PROXY` for http URLs (lower-case names first), a proxy without a scheme taken as
 * `http://`, and `NO_PROXY` listing the hosts that go direct: `*`, host names (`example.com` also
 * covers its subdomains, a leading `.` or `*.` changes nothing), `host:port`, IP addresses and
 * IPv4 CIDR ranges. Loopback addresses are proxied too unless `NO_PROXY` says otherwise (as curl
 * and Node do, unlike Go). Pure functions: the Node adapter applies them; Deno's and Bun's own
 * fetch read the same variables themselves.
 */

import { ValidationError } from "../../errors.ts";

/** The proxy for one request URL, or undefined: go direct. */
export type ProxyFor = (url: URL) => URL | undefined;

/**
 * A proxy URL, checked: http or https, credentials allowed (they become `Proxy-Authorization`).
 * @example parseProxyUrl("proxy.corp:3128").href // "http://proxy.corp:3128/"
 */
export function parseProxyUrl(text: string, what = "proxy"): URL {
  let u: URL;
  try {
    u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`);
  } catch {
    throw new ValidationError("option-invalid", `${what} is not a URL`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new ValidationError("option-invalid", `${what} must be an http:// or https:// proxy, got ${u.protocol}`);
  return u;
}

function ipv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (m === null) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

type Rule = (host: string, port: string) => boolean;

function rule(entry: string): Rule | undefined {
  let e = entry.trim().toLowerCase();
  if (e === "") return undefined;
  if (e === "*") return () => true;
  const cidr = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(e);
  if (cidr !== null) {
    const base = ipv4(cidr[1]);
    const bits = Number(cidr[2]);
    if (base === undefined || bits > 32) return undefined;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (host) => {
      const ip = ipv4(host);
      return ip !== undefined && ((ip & mask) >>> 0) === ((base & mask) >>> 0);
    };
  }
  let port = "";
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(e);
  if (bracketed !== null) {
    e = bracketed[1];
    port = bracketed[2] ?? "";
  } else {
    const hp = /^([^:]+):(\d+)$/.exec(e);
    if (hp !== null) {
      e = hp[1];
      port = hp[2];
    }
  }
  const name = e.replace(/^\*?\./, "");
  return (host, p) => (port === "" || port === p) && (host === name || host.endsWith(`.${name}`));
}

/** The default port of a URL's scheme, as a string. */
function portOf(url: URL): string {
  return url.port !== "" ? url.port : url.protocol === "https:" ? "443" : "80";
}

/**
 * Whether `NO_PROXY` sends `url` direct.
 * @example bypassesProxy(new URL("http://10.1.2.3/"), "10.0.0.0/8,.internal") // true
 */
export function bypassesProxy(url: URL, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = portOf(url);
  for (const entry of noProxy.split(/[\s,]+/)) {
    if (rule(entry)?.(host, port) === true) return true;
  }
  return false;
}

/**
 * The environment's proxy rule, or undefined when no proxy variable is set.
 * @example const proxyFor = proxyFromEnv((n) => process.env[n]); proxyFor?.(new URL("https://aps.example/"))
 */
export function proxyFromEnv(getEnv: (name: string) => string | undefined): ProxyFor | undefined {
  const read = (name: string): string | undefined => {
    const v = getEnv(name.toLowerCase()) ?? getEnv(name);
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const https = read("HTTPS_PROXY");
  const http = read("HTTP_PROXY");
  if (https === undefined && http === undefined) return undefined;
  const noProxy = read("NO_PROXY");
  const httpsUrl = https === undefined ? undefined : parseProxyUrl(https, "HTTPS_PROXY");
  const httpUrl = http === undefined ? undefined : parseProxyUrl(http, "HTTP_PROXY");
  return (url) => {
    const proxy = url.protocol === "https:" ? httpsUrl : httpUrl;
    return proxy === undefined || bypassesProxy(url, noProxy) ? undefined : proxy;
  };
}
