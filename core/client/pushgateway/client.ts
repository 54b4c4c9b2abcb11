/**
 * Pushgateway client, Promise API, after client_golang's `push` package: `push` (PUT, replaces
 * the group), `add` (POST, replaces same-named metrics), `delete` (DELETE the group). The
 * settings are checked when the client is made (config.ts); the part that sends — the Effect
 * client (effect-client.ts), with Effect and the body encoders — is loaded on the first request
 * (push-engine.ts).
 */

import { ClosedError } from "../../errors.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import { splitUrlCredentials } from "../http/auth.ts";
import { pushgatewayConfig } from "./config.ts";
import type { PushgatewayClient, PushgatewayOptions } from "./options.ts";
import type { PushEngine } from "./push-engine.ts";
import type { Connect } from "../http/connection.ts";
import { groupingPath } from "./url.ts";

export { gzip } from "./gzip.ts";

/**
 * The source's metrics as of now: a push sends what the registry held when it was called, not
 * once the sender is loaded. A snapshot that throws fails the request, as it would have.
 */
function snapshot(source: Collectable): Collectable {
  try {
    const families = source.collect();
    return { collect: () => families };
  } catch (e) {
    return {
      collect: () => {
        throw e;
      },
    };
  }
}

/**
 * A Pushgateway client. Throws `ValidationError` for a bad job, grouping label or option.
 * `connect` (default: plain `fetch`) is the runtime's: proxy, TLS and the SigV4/OAuth2 data forms.
 *
 * @example
 * const pg = pushgateway({ url: "http://localhost:9091", job: "db_backup", grouping: { instance: host } });
 * await pg.push(registry);   // PUT
 * await pg.delete();
 */
export function pushgateway(options: PushgatewayOptions, connect?: Connect): PushgatewayClient {
  const config = pushgatewayConfig(options, connect);
  let engine: Promise<PushEngine> | undefined;
  const load = (): Promise<PushEngine> => (engine ??= import("./push-engine.ts").then((m) => m.attachPushgateway(config)));
  let closing: Promise<void> | undefined;
  const refused = (): Promise<never> => Promise.reject(new ClosedError("the Pushgateway client is closed"));
  return {
    push: (source) => (closing === undefined ? ((s) => load().then((e) => e.push(s)))(snapshot(source)) : refused()),
    add: (source) => (closing === undefined ? ((s) => load().then((e) => e.add(s)))(snapshot(source)) : refused()),
    delete: () => load().then((e) => e.delete()),
    close(closeOptions = {}) {
      closing ??= (async () => {
        if (options.deleteOnClose !== true) return;
        const grace = closeOptions.graceMs ?? 0;
        if (grace > 0) await new Promise((resolve) => setTimeout(resolve, grace));
        await (await load()).delete();
      })();
      return closing;
    },
    get closed() {
      return closing !== undefined;
    },
    url: splitUrlCredentials(options.url, undefined).url.href.replace(/\/+$/, "") + groupingPath(options.job, config.grouping),
  };
}
