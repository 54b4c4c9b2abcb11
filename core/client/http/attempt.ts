/**
 * One HTTP attempt as an Effect: the exchange of exchange.ts (headers, auth, redirects, one
 * credentials renewal, typed errors) under a per-attempt timeout that aborts the fetch through
 * its `AbortSignal`.
 */

import * as Effect from "effect/Effect";
import { NetworkError, PromwireError, TimeoutError } from "../../errors.ts";
import { redactUrl } from "./auth.ts";
import { describe, exchange } from "./exchange.ts";
import type { AttemptError, HttpConfig, HttpRequest, HttpResponse } from "./types.ts";

/**
 * Make one attempt. Fails with {@link HttpError} (non-2xx), {@link NetworkError},
 * {@link TimeoutError} (the fetch is aborted) or {@link RedirectError}.
 *
 * @example
 * const res = yield* attempt({ method: "POST", url, headers: { "content-type": "text/plain" }, body }, config);
 */
export function attempt(req: HttpRequest, config: HttpConfig): Effect.Effect<HttpResponse, AttemptError> {
  return Effect.tryPromise({
    try: (signal) => exchange(req, config, signal),
    // What exchange() throws of promwire's own is already an attempt's error (HttpError, NetworkError,
    // RedirectError, TlsError, or a signer's AuthError); anything else failed on the way out.
    catch: (err): AttemptError => (err instanceof PromwireError ? (err as AttemptError) : new NetworkError(redactUrl(req.url), describe(err))),
  }).pipe(
    Effect.timeoutOrElse({
      duration: config.timeoutMs,
      orElse: () => Effect.fail(new TimeoutError(redactUrl(req.url), config.timeoutMs)),
    }),
  );
}
