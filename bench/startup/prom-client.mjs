// The peer: prom-client's import (Node only). The bench links the repository's own prom-client
// into the consumer's node_modules after measuring its size, so this is what a user writes.
import "prom-client";
