'use strict'
// `genesys-cleanup queues`: the queues' own web messaging inactivity timers
// (Genesys ends idle conversations itself where one is live), a Messenger
// deployment's settings with --deployment, and the advice. With
// --set-inactivity it changes one queue's timer: dry unless --apply, which
// GETs the whole queue, changes only the timer's fields, PUTs it back whole
// and re-reads to verify. Exit 0; 1 when the verify re-read differs; 2 usage.

const { connect } = require('../credentials')
const { EXIT_OK, EXIT_FAILED, CliError } = require('../errors')
const { interruptible } = require('../interrupt')
const { makeOutput } = require('../output')
const { makeProgress } = require('../progress')

async function queues(globals, opts = {}) {
  const out = makeOutput(globals)
  const client = connect(globals)
  const run = interruptible(makeProgress(false, false))
  try {
    if (opts.setInactivity !== undefined) return await setInactivity(out, client, run.signal, opts)
    const report = await client.queueTimers({
      signal: run.signal,
      deploymentId: opts.deployment,
      queues: opts.queue && opts.queue.length ? opts.queue : undefined,
    })
    if (out.json) out.document(report)
    else {
      printTimers(out, report)
      out.text('')
      out.text(`(${report.requests} requests)`)
    }
    return EXIT_OK
  } finally {
    run.dispose()
  }
}

/** `--set-inactivity 30m|off --queue NAME [--action disconnect|flow --flow ID] [--apply]`. */
async function setInactivity(out, client, signal, opts) {
  if (!opts.queue || opts.queue.length !== 1) {
    throw new CliError('ERR_USAGE', '--set-inactivity needs exactly one --queue NAME (nothing is changed on an unnamed queue).')
  }
  const off = opts.setInactivity === 'off'
  const flow = opts.action === 'flow'
  const change = await client.setQueueInactivity({
    signal,
    queue: opts.queue[0],
    enabled: !off,
    inactivityTimeoutMs: off ? undefined : opts.setInactivity,
    action: flow ? 'SEND_TO_ARCHITECT_FLOW' : 'DISCONNECT',
    flowId: opts.flow,
    apply: Boolean(opts.apply),
  })
  if (out.json) out.document(change)
  else printChange(out, change)
  return change.applied && change.verified === false ? EXIT_FAILED : EXIT_OK
}

/** `30m`, `90s`, `-`. */
const minutes = (s) => (s === undefined ? '-' : s % 60 === 0 ? `${s / 60}m` : `${s}s`)
const sw = (v) => (v === true ? 'on' : v === false ? 'off' : '-')
const action = (t) => {
  if (t.live === 'off' && t.timeoutSeconds === undefined) return '-'
  if (t.action === 'SEND_TO_ARCHITECT_FLOW') return t.flow ? `flow ${t.flow.name ?? t.flow.id}` : 'flow'
  return t.action ? 'disconnect' : '-'
}

/** The table (what `queueTimers` read), then the deployment and the advice. */
function printTimers(out, r) {
  if (!r.queuesRead) {
    out.text(`Queues could not be listed: ${r.queuesError ? r.queuesError.message : 'refused'}`)
  } else {
    const rows = r.queues.map((t) => [t.queueName || t.queueId, t.live, `${sw(t.topLevel)}/${sw(t.webmessaging)}`, minutes(t.timeoutSeconds), action(t), t.source])
    const head = ['QUEUE', 'TIMER', 'SWITCHES (top/webmessaging)', 'TIMEOUT', 'ACTION', 'SOURCE']
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)))
    for (const row of [head, ...rows]) out.text(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] + 2))).join('').trimEnd())
  }
  if (r.deployment) {
    const d = r.deployment
    const setting = (name, s, show) => `${name} ${s.value === null ? 'unknown' : show(s.value)} (${s.source})`
    out.text('')
    out.text(
      `Deployment ${d.deploymentId}: ${[
        setting('conversationClear', d.conversationClear, (v) => (v ? 'on' : 'off')),
        setting('disconnect', d.conversationDisconnect, (v) => (v.enabled ? v.type : 'off')),
        setting('session', d.sessionDurationSeconds, minutes),
      ].join(', ')}`,
    )
    for (const read of d.reads) out.text(`  ${read.result.padEnd(9)} ${read.request}${read.permission ? ` (${read.permission})` : ''}`)
  }
  out.text('')
  out.text('Advice:')
  for (const a of r.advice) out.text(`  - ${a}`)
}

function printChange(out, c) {
  out.text(`Queue ${c.queueName} (${c.queueId}): timer ${c.before.live} -> ${c.after.live}`)
  if (!c.changes.length) out.text('Nothing to change: the queue already is as asked.')
  for (const ch of c.changes) out.text(`  ${ch.path}: ${JSON.stringify(ch.from)} -> ${JSON.stringify(ch.to)}`)
  for (const w of c.warnings) out.text(`Warning: ${w}`)
  if (!c.applied) {
    if (c.changes.length) out.text('Dry run: nothing written; add --apply to PUT the whole queue with only these fields changed.')
  } else if (c.verified) {
    out.text(`PUT /api/v2/routing/queues/${c.queueId}: verified (the re-read matches, every other field unchanged)`)
  } else {
    out.text(`PUT /api/v2/routing/queues/${c.queueId}: the re-read does NOT match:`)
    for (const m of c.mismatches ?? []) out.text(`  ${m.path}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.got)}`)
  }
  out.text(`(${c.requests} requests)`)
}

module.exports = { queues, printTimers }
