'use strict'
// The fleet (genesys-cleanup/fleet): many orgs on many replicas, each org's
// job on exactly one replica, the orgs spread evenly. Its parts, each
// importing only those above it:
//   plan.js       pure: quotas and what one pass sheds and takes (HRW, costs)
//   options.js    validation of the fleet's options and of each org
//   store.js      Redis: presence, org leases, in Lua scripts on the server's clock
//   semaphore.js  the fleet-wide cap on sweep runs (JS, approximate)
//   org.js        one org on this replica: client, terms, fence, job loop, report
//   fleet.js      CleanupFleet: the pass (heartbeat, renew, plan, hand over, acquire)
// See docs/replicas.md#fleet for what it guarantees and how.

const { CleanupFleet } = require('./fleet.js')

module.exports = { CleanupFleet }
