'use strict'
// `genesys-cleanup check`: can these credentials end web messaging
// conversations, and if not, exactly why. Exit 0 if they can, 1 if not.

const { connect } = require('../credentials')
const { EXIT_OK, EXIT_FAILED } = require('../errors')
const { interruptible } = require('../interrupt')
const { makeOutput } = require('../output')
const { makeProgress } = require('../progress')
const { printTimers } = require('./queues')

async function check(globals, opts = {}) {
  const out = makeOutput(globals)
  // Built like every command's client; the one-off checkScopes() would honour DEBUG just as well.
  const client = connect(globals)
  const run = interruptible(makeProgress(false, false))
  try {
    const report = await client.checkScopes({ signal: run.signal, conversationId: opts.conversation, deploymentId: opts.deployment })
    if (out.json) out.document(report)
    else printScopeReport(out, report)
    return report.canClose ? EXIT_OK : EXIT_FAILED
  } finally {
    run.dispose()
  }
}

/** `Sales (id), id2`: a division by name and id, or by id alone. */
const divisions = (list) => list.map((d) => (d.id === '*' ? 'all divisions' : d.name ? `${d.name} (${d.id})` : d.id)).join(', ')

/** `Label:` padded so that the values line up. */
const field = (label, value) => `${`${label}:`.padEnd(23)}${value}`

function printScopeReport(out, r) {
  out.text(r.canClose ? 'VERDICT: these credentials CAN end web messaging conversations.' : 'VERDICT: these credentials CANNOT end web messaging conversations.')
  out.text('')
  const grant = r.grantType === 'client_credentials' ? 'client credentials' : r.grantType === 'user' ? 'user token' : 'unknown'
  out.text(field('Grant type', grant))
  if (r.organization) out.text(field('Organization', r.organization.name ? `${r.organization.name} (${r.organization.id})` : r.organization.id))
  if (r.oauthClient) out.text(field('OAuth client', r.oauthClient.name && r.oauthClient.name !== r.oauthClient.id ? `${r.oauthClient.name} (${r.oauthClient.id})` : r.oauthClient.id))
  out.text('')
  const list = (items, joiner = ', ') => (items.length ? items.join(joiner) : '(none)')
  if (r.scopesApply) {
    out.text(field('Scopes of the token', list(r.scopes)))
    out.text(field('Scopes required', r.requiredScopes.join(', ')))
    out.text(field('Scopes missing', list(r.missingScopes)))
  } else {
    out.text(field('Scopes', "do not apply to client credentials (the client's roles decide)"))
  }
  out.text(field('Permissions required', `any one of ${r.requiredPermissions.join(', ')}`))
  out.text(field('Permissions granted', r.grantedPermissions ? list(r.grantedPermissions) : '(could not be read)'))
  out.text(field('Permissions missing', list(r.missingPermissions, ' or ')))
  if (r.permissionDivisions) {
    out.text('Divisions (roles are granted per division):')
    for (const h of r.permissionDivisions) {
      out.text(`  ${h.permission}: ${h.allDivisions ? 'held in all divisions' : h.divisions.length ? `held in ${divisions(h.divisions)}` : 'not held'}`)
    }
  }
  if (r.conversation) {
    out.text('')
    out.text(field('Conversation', r.conversation.conversationId))
    out.text(field('  in divisions', r.conversation.divisions.length ? divisions(r.conversation.divisions) : '(unknown)'))
    out.text(field('  verdict', `${r.conversation.access}: ${r.conversation.canClose ? 'can be ended' : 'cannot be ended'} (decided without writing to it)`))
  }
  out.text('')
  out.text('Checks:')
  const width = Math.max(...r.checks.map((c) => c.name.length), 4)
  for (const c of r.checks) out.text(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${c.name.padEnd(width + 2)}${c.detail}`)
  out.text('')
  out.text('Advice:')
  for (const a of r.advice) out.text(`  - ${a}`)
  if (r.timers) {
    // Genesys's own inactivity timers: what the platform ends by itself.
    out.text('')
    out.text("Genesys's own timers:")
    printTimers(out, r.timers)
  }
  out.text('')
  out.text(`(${r.requests} requests)`)
}

module.exports = { check }
