// Errors are recognised by `instanceof` even when another copy of promwire made them (the
// `promwire/effect` bundle carries its own copy of the error classes): by brand and `_tag`.
import { describe, expect, it } from "vitest";
import { ClosedError, HttpError, NetworkError, ParseError, PromwireError } from "../core/errors.ts";

describe("PromwireError", () => {
  it("instanceof works for the class itself, the base class and Error; not for other classes", () => {
    const e = new HttpError(503, "busy", "http://x/api/v1/write");
    expect(e instanceof HttpError).toBe(true);
    expect(e instanceof PromwireError).toBe(true);
    expect(e instanceof Error).toBe(true);
    expect(e instanceof NetworkError).toBe(false);
    expect([e._tag, e.name, HttpError.tag]).toEqual(["HttpError", "HttpError", "HttpError"]);
  });

  it("an error made by another copy (same brand and tag, other class) is recognised; look-alikes are not", () => {
    const brand = Symbol.for("promwire.error");
    const fromOtherCopy = Object.assign(new Error("closed"), { _tag: "ClosedError", [brand]: true });
    expect(fromOtherCopy instanceof ClosedError).toBe(true);
    expect(fromOtherCopy instanceof PromwireError).toBe(true);
    expect(fromOtherCopy instanceof ParseError).toBe(false);
    expect(Object.assign(new Error("x"), { _tag: "ClosedError" }) instanceof ClosedError).toBe(false);
    expect({} instanceof PromwireError).toBe(false);
    expect((null as unknown as object) instanceof PromwireError).toBe(false);
  });
});
