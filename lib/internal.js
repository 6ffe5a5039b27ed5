'use strict'
// Keys for the package's own modules only. `NATIVE` names a CleanupClient
// method that returns its native handle, for the fleet (lib/fleet/org.js),
// which arms each org's write fence from that org's lease as lib/lease.js
// does. A Symbol, kept in a file the package's `exports` do not reach: no
// user code can call it.

const NATIVE = Symbol('genesys-cleanup native handle')

module.exports = { NATIVE }
