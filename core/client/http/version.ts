/** promwire's version, sent as `User-Agent: promwire/<version>`. Kept in step with package.json. */
export const VERSION = "0.1.0";

/** The User-Agent every promwire request carries. */
export const USER_AGENT = `promwire/${VERSION}`;
