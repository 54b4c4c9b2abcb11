// Which proxy a request takes: HTTPS_PROXY / HTTP_PROXY by scheme (lower-case names first), a
// scheme-less proxy taken as http://, and NO_PROXY's forms (`*`, names covering subdomains,
// `host:port`, IPs, IPv4 CIDR, bracketed IPv6).
import { describe, expect, it } from "vitest";
import { bypassesProxy, parseProxyUrl, proxyFromEnv } from "../../../core/client/http/proxy-env.ts";

const u = (s: string): URL => new URL(s);

describe("proxy from the environment", () => {
  it("by scheme, lower-case names first; none set: no rule at all", () => {
    const env: Record<string, string> = { HTTPS_PROXY: "http://upper:3128", https_proxy: "lower:3128", HTTP_PROXY: "http://plain:8080" };
    const rule = proxyFromEnv((n) => env[n])!;
    expect(rule(u("https://aps.example/write"))?.href).toBe("http://lower:3128/");
    expect(rule(u("http://prom:9090/api/v1/write"))?.href).toBe("http://plain:8080/");
    expect(proxyFromEnv(() => undefined)).toBeUndefined();
    expect(proxyFromEnv((n) => ({ HTTP_PROXY: " " })[n])).toBeUndefined();
    // https only: http requests go direct.
    expect(proxyFromEnv((n) => ({ HTTPS_PROXY: "p:1" })[n])!(u("http://prom/"))).toBeUndefined();
  });

  it("NO_PROXY forms", () => {
    const no = "*.internal, .corp.example,exact.example:9090, 10.0.0.0/8,192.168.1.7,[::1]";
    expect(bypassesProxy(u("http://a.b.internal/"), no)).toBe(true);
    expect(bypassesProxy(u("http://internal/"), no)).toBe(true);
    expect(bypassesProxy(u("https://x.corp.example/"), no)).toBe(true);
    expect(bypassesProxy(u("https://corp.example/"), no)).toBe(true);
    expect(bypassesProxy(u("https://notcorp.example/"), no)).toBe(false);
    expect(bypassesProxy(u("http://exact.example:9090/"), no)).toBe(true);
    expect(bypassesProxy(u("http://exact.example:9091/"), no)).toBe(false);
    expect(bypassesProxy(u("http://10.200.3.4:9090/"), no)).toBe(true);
    expect(bypassesProxy(u("http://11.0.0.1/"), no)).toBe(false);
    expect(bypassesProxy(u("http://192.168.1.7/"), no)).toBe(true);
    expect(bypassesProxy(u("http://[::1]:9090/"), no)).toBe(true);
    expect(bypassesProxy(u("http://anything/"), "*")).toBe(true);
    expect(bypassesProxy(u("http://127.0.0.1/"), undefined)).toBe(false);
    expect(bypassesProxy(u("https://h.example/"), "h.example:443")).toBe(true);
  });

  it("proxy URLs: http or https, credentials kept; anything else a ValidationError", () => {
    expect(parseProxyUrl("user:p%40ss@proxy:3128").href).toBe("http://user:p%40ss@proxy:3128/");
    expect(() => parseProxyUrl("socks5://proxy:1080")).toThrow(/proxy must be an http:\/\/ or https:\/\/ proxy, got socks5:/);
    expect(() => parseProxyUrl("http://[bad")).toThrow(/proxy is not a URL/);
  });
});
