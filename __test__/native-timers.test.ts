// Genesys's own timers over HTTP against the emulator: the queue table under
// both readings of the two switches, advice that never contradicts it, a
// deployment's settings with their sources, setQueueInactivity dry and
// applied (the PUT keeps every other field; the verify re-read), checkScopes'
// timers section, and the `queues` CLI.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { queueTimers, setQueueInactivity, checkScopes } from '../index'
import type { QueueTimer, TimersReport } from '../index'
import { emulatorPerFile, clientOptions, SEED, rejectionOf, randomUUID } from './helpers'

const emu = emulatorPerFile()
const CLI = path.join(__dirname, '..', 'bin', 'genesys-cleanup.js')

const timer = (secs?: number, action = 'DISCONNECT', flow?: object) => ({
  ...(secs === undefined ? {} : { timeoutSeconds: secs }),
  actionType: action,
  ...(flow ? { flowId: flow } : {}),
})
const media = (top: boolean | null, sub: boolean | null, settings: object) => ({
  message: {
    enableAutoAnswer: false,
    alertingTimeoutSeconds: 30,
    ...(top === null ? {} : { enableInactivityTimeout: top }),
    inactivityTimeoutSettings: settings,
    subTypeSettings: sub === null ? {} : { webmessaging: { enableAutoAnswer: false, enableInactivityTimeout: sub } },
  },
})

/** The six queues of the table: name -> [mediaSettings, expected]. */
const TABLE: Record<string, [object, Partial<QueueTimer>]> = {
  'T on-on': [media(true, true, timer(1800)), { live: 'on', readings: { subtype: true, either: true }, timeoutSeconds: 1800, action: 'DISCONNECT' }],
  'T on-absent': [media(true, null, timer(600)), { live: 'unclear', readings: { subtype: false, either: true }, topLevel: true, webmessaging: null }],
  'T absent-on': [media(null, true, timer(600)), { live: 'on', readings: { subtype: true, either: true }, topLevel: null, webmessaging: true }],
  'T off-off': [media(false, false, timer(600)), { live: 'off', readings: { subtype: false, either: false } }],
  'T on-on no timeout': [media(true, true, timer(undefined)), { live: 'off', readings: { subtype: false, either: false } }],
  'T flow': [
    media(true, true, timer(900, 'SEND_TO_ARCHITECT_FLOW', { id: '0f0f0f0f-0000-4000-8000-000000000001', name: 'Escalate' })),
    { live: 'on', action: 'SEND_TO_ARCHITECT_FLOW', flow: { id: '0f0f0f0f-0000-4000-8000-000000000001', name: 'Escalate' } },
  ],
}

async function makeQueues(): Promise<Record<string, string>> {
  const ids: Record<string, string> = {}
  for (const [name, [mediaSettings]] of Object.entries(TABLE)) {
    const q = await emu.admin<{ id: string }>('POST', 'queues', { name, mediaSettings })
    ids[name] = q.id
  }
  return ids
}

/** A token whose role may also edit queues and read deployments. */
async function adminToken(extra: string[] = ['routing:queue:edit', 'webDeployments:deployment:view', 'webDeployments:configuration:view']): Promise<string> {
  const role = await emu.createRole({ name: `timers ${randomUUID()}`, permissions: ['routing:queue:view', ...extra] })
  const client = await emu.createClient({ name: `timers ${randomUUID()}`, roleIds: [role.id] })
  return (await emu.createToken({ clientId: client.id })).accessToken
}

/** Each queue named in the advice sentence of its own `live`, and in no other. */
function contradictions(r: TimersReport): string[] {
  const starts: Record<string, string> = { on: 'These queues end', off: "These don't", unclear: 'On these only' }
  const out: string[] = []
  for (const q of r.queues) {
    for (const [live, start] of Object.entries(starts)) {
      const sentence = r.advice.find((a) => a.startsWith(start)) ?? ''
      const named = sentence.includes(`${q.queueName} (`) || sentence.includes(`${q.queueName},`) || sentence.includes(`${q.queueName}.`)
      if (named !== (live === q.live)) out.push(`${q.queueName} (${q.live}) ${named ? 'named in' : 'missing from'} "${start}"`)
    }
    if (q.live !== 'off' && q.timeoutSeconds! % 60 === 0) {
      const sentence = r.advice.find((a) => a.startsWith(starts[q.live]))!
      if (!sentence.includes(`${q.queueName} (${q.timeoutSeconds! / 60} min`)) out.push(`${q.queueName}: minutes`)
    }
  }
  return out
}

describe('queueTimers: the table, both readings', () => {
  test.each([true, false])('listing carries mediaSettings: %s (else source queue)', async (listed) => {
    await emu.configure({ queueListingMediaSettings: listed })
    await makeQueues()
    const r = await queueTimers(clientOptions(emu))
    expect(r.queuesRead).toBe(true)
    for (const [name, [, want]] of Object.entries(TABLE)) {
      const row = r.queues.find((q) => q.queueName === name)!
      expect(row).toMatchObject({ ...want, source: listed ? 'listing' : 'queue' })
    }
    // The seeded queues: no timer, Genesys's default.
    expect(r.queues.find((q) => q.queueName === 'Support')).toMatchObject({ live: 'off', topLevel: null, webmessaging: null })
    expect(r.queues.map((q) => q.queueName)).toEqual([...r.queues.map((q) => q.queueName)].sort())
    expect(contradictions(r)).toEqual([])
    expect(r.advice.some((a) => a.startsWith('This service still covers'))).toBe(true)
  })

  test('the emulator switch reading changes nothing in the table', async () => {
    await makeQueues()
    const a = await queueTimers(clientOptions(emu))
    await emu.configure({ inactivitySwitch: 'either' })
    const b = await queueTimers(clientOptions(emu))
    expect(b.queues).toEqual(a.queues)
  })

  test('no routing:queue:view: queuesRead false with advice, never fatal', async () => {
    const r = await queueTimers(clientOptions(emu, { accessToken: SEED.readonlyToken }))
    expect(r.queuesRead).toBe(false)
    expect(r.queuesError).toMatchObject({ code: 'ERR_MISSING_PERMISSION' })
    expect(r.advice.join(' ')).toContain('routing:queue:view')
  })

  test('checkScopes reports the timers, and they never contradict the table', async () => {
    await makeQueues()
    const r = await checkScopes(clientOptions(emu))
    expect(r.timers).not.toBeNull()
    expect(r.timers!.queues.length).toBeGreaterThan(6)
    expect(contradictions(r.timers!)).toEqual([])
    const off = await checkScopes(clientOptions(emu, { timers: false }))
    expect(off.timers).toBeNull()
  })
})

describe('queueTimers: a deployment', () => {
  const config = { conversationDisconnect: { enabled: true, type: 'ReadOnly' }, conversationClear: false, sessionDurationSeconds: 7200 }

  test('every permission: all from the configuration version', async () => {
    const d = await emu.admin<{ id: string }>('POST', 'deployments', { name: 'web', configuration: config })
    const r = await queueTimers(clientOptions(emu, { accessToken: await adminToken(), deploymentId: d.id }))
    expect(r.deployment).toMatchObject({
      deploymentId: d.id,
      status: 'Active',
      conversationClear: { value: false, source: 'configurationVersion' },
      conversationDisconnect: { value: { enabled: true, type: 'ReadOnly' }, source: 'configurationVersion' },
      sessionDurationSeconds: { value: 7200, source: 'configurationVersion' },
    })
    expect(r.deployment!.reads.map((x) => [x.permission, x.result])).toEqual([
      ['webDeployments:deployment:view', 'ok'],
      ['webDeployments:configuration:view', 'ok'],
      [null, 'skipped'],
    ])
    expect(r.advice.join(' ')).toContain('endGuestConversation will answer ERR_FORBIDDEN')
  })

  test('no webDeployments permission: the active configuration, each read named', async () => {
    const d = await emu.admin<{ id: string }>('POST', 'deployments', { name: 'web', configuration: config })
    const r = await queueTimers(clientOptions(emu, { deploymentId: d.id }))
    expect(r.deployment!.conversationClear).toEqual({ value: false, source: 'activeConfiguration' })
    expect(r.deployment!.reads[0]).toMatchObject({ permission: 'webDeployments:deployment:view', result: 'forbidden' })
    expect(r.advice.join(' ')).toContain('grant webDeployments:deployment:view or rely on config.json')
  })

  test('the active configuration failing: config.json, unauthenticated; without its session duration: none', async () => {
    const d = await emu.admin<{ id: string }>('POST', 'deployments', { name: 'web', configuration: config })
    await emu.script({ method: 'GET', path: `/api/v2/webdeployments/deployments/${d.id}/configurations`, times: 5, respond: { status: 500 } })
    const r = await queueTimers(clientOptions(emu, { deploymentId: d.id, maxRetries: 0 }))
    expect(r.deployment!.conversationClear).toEqual({ value: false, source: 'configJson' })
    expect(r.deployment!.sessionDurationSeconds).toEqual({ value: null, source: 'none' })
    const cdn = (await emu.requests()).filter((x) => x.path.endsWith('/config.json'))
    expect(cdn).toHaveLength(1)
    expect(cdn[0].auth).toBeNull()
  })

  test('a deploymentId that is not a UUID is refused before any request', async () => {
    const e = await rejectionOf(queueTimers(clientOptions(emu, { deploymentId: 'nope' })))
    expect(e.code).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('setQueueInactivity', () => {
  test('never without a named queue', async () => {
    const e = await rejectionOf(setQueueInactivity({ ...clientOptions(emu), inactivityTimeoutMs: 60_000 } as never))
    expect(e.code).toBe('ERR_INVALID_ARGUMENT')
    await emu.admin('POST', 'queues', { name: 'Twin' })
    await emu.admin('POST', 'queues', { name: 'Twin' })
    const twin = await rejectionOf(setQueueInactivity({ ...clientOptions(emu), queue: 'Twin', inactivityTimeoutMs: 60_000 }))
    expect(twin.code).toBe('ERR_INVALID_ARGUMENT')
  })

  test('dry: nothing written; the body is the GET with only our paths changed', async () => {
    const before = (await emu.admin<{ queue: Record<string, any> }>('GET', 'queues/c0000000-0000-4000-8000-000000000003')).queue
    const r = await setQueueInactivity({ ...clientOptions(emu), queue: 'Billing', inactivityTimeoutMs: 1_800_000 })
    expect(r.applied).toBe(false)
    expect((await emu.requests()).filter((x) => x.method !== 'GET' && x.path.startsWith('/api/v2'))).toEqual([])
    expect(r.changes.map((c) => c.path)).toEqual([
      'mediaSettings.message.subTypeSettings.webmessaging.enableInactivityTimeout',
      'mediaSettings.message.enableInactivityTimeout',
      'mediaSettings.message.inactivityTimeoutSettings.actionType',
      'mediaSettings.message.inactivityTimeoutSettings.timeoutSeconds',
    ])
    const undone = JSON.parse(JSON.stringify(r.body))
    delete undone.mediaSettings.message.enableInactivityTimeout
    delete undone.mediaSettings.message.inactivityTimeoutSettings
    undone.mediaSettings.message.subTypeSettings = before.mediaSettings.message.subTypeSettings
    if (before.mediaSettings.message.inactivityTimeoutSettings) undone.mediaSettings.message.inactivityTimeoutSettings = before.mediaSettings.message.inactivityTimeoutSettings
    expect(undone).toEqual(before)
    expect(r.after).toMatchObject({ live: 'on', timeoutSeconds: 1800 })
  })

  test('applied: the PUT body keeps every other field, and the re-read verifies', async () => {
    const token = await adminToken()
    const before = (await emu.admin<{ queue: Record<string, any> }>('GET', 'queues/c0000000-0000-4000-8000-000000000003')).queue
    const r = await setQueueInactivity({ ...clientOptions(emu, { accessToken: token }), queue: 'Billing', inactivityTimeoutMs: 1_800_000, apply: true })
    expect(r).toMatchObject({ applied: true, verified: true, after: { live: 'on', timeoutSeconds: 1800, source: 'queue' } })
    const stored = await emu.admin<{ puts: number; lastPut: Record<string, any> }>('GET', 'queues/c0000000-0000-4000-8000-000000000003')
    expect(stored.puts).toBe(1)
    expect(stored.lastPut).toEqual(r.body)
    for (const key of Object.keys(before)) if (key !== 'mediaSettings') expect(stored.lastPut[key]).toEqual(before[key])
    // Again: nothing to do, no PUT.
    const again = await setQueueInactivity({ ...clientOptions(emu, { accessToken: token }), queue: 'Billing', inactivityTimeoutMs: 1_800_000, apply: true })
    expect(again).toMatchObject({ applied: false, changes: [] })
    const off = await setQueueInactivity({ ...clientOptions(emu, { accessToken: token }), queue: 'Billing', enabled: false, apply: true })
    expect(off).toMatchObject({ applied: true, verified: true, after: { live: 'off', timeoutSeconds: 1800 } })
  })

  test('a PUT that drops a field: verified false, with the mismatch', async () => {
    await emu.configure({ queuePutDropFields: ['acwSettings'] })
    const r = await setQueueInactivity({ ...clientOptions(emu, { accessToken: await adminToken() }), queue: 'Billing', inactivityTimeoutMs: 600_000, apply: true })
    expect(r.verified).toBe(false)
    expect(r.mismatches!.some((m) => m.path.startsWith('acwSettings'))).toBe(true)
  })

  test('no routing:queue:edit: the PUT is refused with the permission named', async () => {
    const e = await rejectionOf(setQueueInactivity({ ...clientOptions(emu), queue: 'Billing', inactivityTimeoutMs: 600_000, apply: true }))
    expect(e.code).toBe('ERR_MISSING_PERMISSION')
    expect(e.missingPermissions).toContain('routing:queue:edit')
  })
})

describe('genesys-cleanup queues', () => {
  const cli = (args: string[], token = SEED.cleanupToken) =>
    spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, GENESYS_BASE_URL: emu.url, GENESYS_ACCESS_TOKEN: token, GENESYS_REGION: '' }, encoding: 'utf8', timeout: 60_000 })

  test('the table and the advice', async () => {
    await makeQueues()
    const r = cli(['queues'])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^QUEUE\s+TIMER\s+SWITCHES \(top\/webmessaging\)\s+TIMEOUT\s+ACTION\s+SOURCE/m)
    expect(r.stdout).toMatch(/^T on-absent\s+unclear\s+on\/-\s+10m\s+disconnect\s+listing$/m)
    expect(r.stdout).toMatch(/^T flow\s+on\s+on\/on\s+15m\s+flow Escalate\s+listing$/m)
    expect(r.stdout).toContain('Advice:')
    const json = JSON.parse(cli(['--json', 'queues']).stdout)
    expect(json.queues.length).toBeGreaterThan(6)
  })

  test('check --deployment: the verdict, then the queue timers and the deployment, each read named', async () => {
    await makeQueues()
    const d = await emu.admin<{ id: string }>('POST', 'deployments', { name: 'web', configuration: { conversationClear: false } })
    const r = cli(['check', '--deployment', d.id])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^VERDICT: these credentials CAN end/m)
    expect(r.stdout).toContain("Genesys's own timers:")
    expect(r.stdout).toMatch(/^T flow\s+on\s+on\/on\s+15m\s+flow Escalate\s+listing$/m)
    expect(r.stdout).toContain(`Deployment ${d.id}: conversationClear off (activeConfiguration)`)
    expect(r.stdout).toMatch(/forbidden\s+GET \/api\/v2\/webdeployments\/deployments\/\S+ \(webDeployments:deployment:view\)/)
    // One requests line, the check's own total (the timers' reads included).
    expect(r.stdout.match(/\(\d+ requests\)/g)).toHaveLength(1)
    const json = JSON.parse(cli(['--json', 'check', '--deployment', d.id]).stdout)
    expect(json.timers.deployment).toMatchObject({ deploymentId: d.id, conversationClear: { value: false } })
    // A malformed id is a usage-level refusal before any request, not a crash.
    const bad = cli(['check', '--deployment', 'nope'])
    expect(bad.status).not.toBe(0)
    expect(bad.stderr).toMatch(/deploymentId/)
  })

  test('--set-inactivity: usage without --queue, dry shows the change, --apply verifies or exits 1', async () => {
    expect(cli(['queues', '--set-inactivity', '30m']).status).toBe(2)
    const dry = cli(['queues', '--set-inactivity', '30m', '--queue', 'Billing'])
    expect(dry.status).toBe(0)
    expect(dry.stdout).toContain('mediaSettings.message.inactivityTimeoutSettings.timeoutSeconds: null -> 1800')
    expect(dry.stdout).toContain('Dry run: nothing written')
    const token = await adminToken()
    const applied = cli(['queues', '--set-inactivity', '30m', '--queue', 'Billing', '--apply'], token)
    expect(applied.stdout).toContain('verified')
    expect(applied.status).toBe(0)
    await emu.configure({ queuePutDropFields: ['bullseye'] })
    const bad = cli(['queues', '--set-inactivity', '10m', '--queue', 'Billing', '--apply'], token)
    expect(bad.status).toBe(1)
    expect(bad.stdout).toContain('does NOT match')
  })
})
