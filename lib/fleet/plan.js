'use strict'
// The fair-share planner: what one replica releases and tries to take on a
// pass, decided from one snapshot of Redis. Pure (no clock, no I/O, no
// randomness): table tests and a simulator drive it.
//
// With N live replicas and M configured orgs, F = floor(M/N), rem = M mod N,
// C = ceil(M/N). Live replicas are ranked by (min(count, C) desc, hrw('quota',
// id) desc): the first `rem` get quota C, the rest F (the quotas sum to M).
// Ranking by what each already holds is sticky: a replica already at C keeps
// C, so nothing moves between healthy replicas; every replica ranks alike
// from the same snapshot.
//
// A replica never takes an org past its quota. It holds more than C only
// from before N grew (a replica joined) or M shrank (an org was removed), and
// sheds the surplus at its next pass: "ceil(M/N), plus one while
// rebalancing" in the words, here "plus what it held before the
// change, for at most one pass".
//
// Which orgs move: a replica sheds those cheapest to move (a sweep waiting
// for its next run, an org in backoff) and, among equals, those "least its
// own" by rendezvous hashing (HRW); a replica under quota tries first the
// free orgs whose HRW top among the live replicas it is, so replicas racing
// for free orgs mostly try different ones, and placement is stable across
// restarts of the same replica ids.

const crypto = require('node:crypto')

/** Rendezvous weight of `item` on `replica`: 48 bits of sha256, as a number. */
function hrw(item, replica) {
  return crypto.createHash('sha256').update(`${item}\n${replica}`).digest().readUIntBE(0, 6)
}

/** Moving cost of a held org, lowest first shed: see org.js `cost()`. */
const COST = Object.freeze({ idle: 0, starting: 1, running: 2, watching: 3 })

/**
 * Each live replica's quota.
 * @param {string[]} live replica ids (self included)
 * @param {Map<string, number>} counts orgs each replica holds now
 * @param {number} m configured orgs
 * @returns {Map<string, number>}
 */
function quotas(live, counts, m) {
  const n = live.length
  const quota = new Map()
  if (n === 0) return quota
  const floor = Math.floor(m / n)
  const rem = m % n
  const cap = Math.ceil(m / n)
  const ranked = [...live].sort((a, b) => {
    const d = Math.min(counts.get(b) ?? 0, cap) - Math.min(counts.get(a) ?? 0, cap)
    if (d !== 0) return d
    return hrw('quota', b) - hrw('quota', a) || (a < b ? -1 : a > b ? 1 : 0)
  })
  ranked.forEach((id, i) => quota.set(id, i < rem ? cap : floor))
  return quota
}

/**
 * One pass's decision.
 * @param {object} s
 * @param {string} s.self this replica's id
 * @param {string[]} s.live live replica ids (self included)
 * @param {string[]} s.orgs configured org ids (this replica's list: the same on every replica)
 * @param {Map<string, string|null>} s.holders org id -> holding replica id, or null when free
 * @param {string[]} s.mine configured orgs this replica runs a term for (not being handed over)
 * @param {number} s.handing configured orgs this replica is handing over (still held: they count)
 * @param {(org: string) => number} s.costOf moving cost of an org this replica holds
 * @returns {{ quota: number, cap: number, floor: number, release: string[], acquire: string[], want: number }}
 *   `acquire`: free orgs in order of preference (all of them); `want`: how many to take at most.
 */
function plan(s) {
  const live = s.live.includes(s.self) ? s.live : [...s.live, s.self]
  const m = s.orgs.length
  const counts = new Map()
  for (const org of s.orgs) {
    const h = s.holders.get(org)
    if (h) counts.set(h, (counts.get(h) ?? 0) + 1)
  }
  const q = quotas(live, counts, m)
  const quota = q.get(s.self) ?? 0
  const n = live.length
  const cap = Math.ceil(m / n)
  const floor = Math.floor(m / n)
  const mine = s.mine
  let release = []
  if (mine.length > quota) {
    release = mine
      .map((o) => ({ o, cost: s.costOf(o), own: hrw(o, s.self) }))
      .sort((a, b) => a.cost - b.cost || a.own - b.own)
      .slice(0, mine.length - quota)
      .map((x) => x.o)
  }
  let acquire = []
  let want = 0
  // Orgs being handed over still count as held: no taking past quota meanwhile.
  const handing = s.handing
  if (mine.length + handing < quota) {
    want = quota - mine.length - handing
    // Weighed once per org, not per comparison.
    const free = s.orgs.filter((o) => !s.holders.get(o)).map((o) => {
      const own = hrw(o, s.self)
      const first = live.every((r) => r === s.self || hrw(o, r) < own)
      return { o, own, first }
    })
    acquire = free.sort((a, b) => Number(b.first) - Number(a.first) || b.own - a.own).map((x) => x.o)
  }
  return { quota, cap, floor, release, acquire, want }
}

module.exports = { plan, quotas, hrw, COST }
