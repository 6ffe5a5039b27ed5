'use strict'
// genesys-cleanup/fleet: one cleanup service for many Genesys orgs, run as
// several replicas over one Redis. Each replica announces itself; each org's
// job (a watch, or a periodic sweep) runs on exactly one replica, under a
// lease that fences its writes; the orgs are spread evenly over the live
// replicas, taken over when one dies and rebalanced when one joins.
// The parts are in lib/fleet/ (index.js is their map).

const { CleanupFleet } = require('./lib/fleet/index.js')

module.exports = { CleanupFleet }
