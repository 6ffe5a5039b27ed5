// The conformance suite (conformance/run.js): against the emulator it
// starts, in --live mode against an emulator reached the way a real org is
// (non-default port, credentials from the environment), read-only unless
// told otherwise, and recorded traces that the emulator replays to the same
// report.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startEmulator, Emulator } from '../testing'

const RUN = path.join(__dirname, '..', 'conformance', 'run.js')
const NIL = '00000000-0000-0000-0000-000000000000'
const LIVE_ENV = { GENESYS_CLIENT_ID: 'cleanup-client', GENESYS_CLIENT_SECRET: 'cleanup-secret', GENESYS_USER_TOKEN_WITHOUT_SCOPE: 'user-noscope-token' }

interface Row {
  id: string
  tag: 'DOCUMENTED' | 'UNCONFIRMED'
  result: 'pass' | 'differs' | 'could not check'
  observed: string
}

function conformance(args: string[], env: Record<string, string> = {}): { status: number | null; report: { target: string; results: Row[] }; stderr: string } {
  const clean = { ...process.env }
  for (const k of Object.keys(clean)) if (k.startsWith('GENESYS_')) delete clean[k]
  const r = spawnSync(process.execPath, [RUN, '--json', ...args], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 60_000 })
  let report
  try {
    report = JSON.parse(r.stdout)
  } catch {
    throw new Error(`no JSON report (exit ${r.status}): ${r.stdout}\n${r.stderr}`)
  }
  return { status: r.status, report, stderr: r.stderr }
}

const byId = (rows: Row[]) => Object.fromEntries(rows.map((r) => [r.id, r]))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'))
let remote: Emulator

beforeAll(async () => {
  remote = await startEmulator()
})
afterAll(async () => {
  await remote?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

test('npm run conformance: every behaviour passes against the emulator', () => {
  const { status, report } = conformance([])
  expect(report.target).toBe('emulator')
  expect(report.results.filter((r) => r.result !== 'pass')).toEqual([])
  expect(status).toBe(0)
  // Both kinds are stated, and every check says where its claim comes from.
  expect(new Set(report.results.map((r) => r.tag))).toEqual(new Set(['DOCUMENTED', 'UNCONFIRMED']))
})

test('--live is read-only without --allow-writes: only nil-id probes are sent', async () => {
  await remote.reset()
  const { id } = await remote.createConversation({})
  const { status, report } = conformance(['--live', '--base-url', remote.url], LIVE_ENV)
  expect(status).toBe(0)
  const rows = byId(report.results)
  expect(rows['write.patchEnds'].result).toBe('could not check')
  expect(rows['probe.nilPatch'].result).toBe('pass')
  const writes = (await remote.requests()).filter((r) => r.method !== 'GET' && !(r.method === 'POST' && /oauth\/token|analytics/.test(r.path)))
  for (const w of writes) expect(w.path).toContain(NIL)
  expect((await remote.conversation(id)).state).toBe('active')
})

test('--live --allow-writes ends only the named conversation, and --record writes a trace without secrets', async () => {
  await remote.reset()
  const { id } = await remote.createConversation({})
  const other = await remote.createConversation({})
  const trace = path.join(tmp, 'trace.json')
  const { status, report } = conformance(['--live', '--base-url', remote.url, '--allow-writes', '--conversation', id, '--record', trace], LIVE_ENV)
  expect(status).toBe(0)
  // Everything passes but what needs a deployment or a guest token, which were not given.
  const notRun = [...DEPLOYMENT_CHECKS, 'guest.configureAndEcho']
  expect(report.results.filter((r) => r.result !== 'pass').map((r) => r.id)).toEqual(notRun)
  expect((await remote.conversation(id)).state).toBe('ended')
  expect((await remote.conversation(other.id)).state).toBe('active')
  const text = fs.readFileSync(trace, 'utf8')
  for (const secret of ['cleanup-secret', 'user-noscope-token', id]) expect(text).not.toContain(secret)
  expect(text).not.toMatch(/"access_token": "(?!<redacted>)/)
  expect(text).not.toMatch(/[Bb]earer /)
})

test('a recorded trace replays to the same report', async () => {
  const trace = path.join(tmp, 'trace.json')
  expect(fs.existsSync(trace)).toBe(true)
  const recorded = JSON.parse(fs.readFileSync(trace, 'utf8')).report as { results: Row[] }
  const replay = await startEmulator({ args: ['--replay', trace] })
  try {
    const { report } = conformance(['--live', '--base-url', replay.url, '--allow-writes', '--conversation', '11111111-2222-4333-8444-555555555555'], LIVE_ENV)
    const strip = (rows: Row[]) => rows.map(({ id, result, observed }) => ({ id, result, observed }))
    expect(strip(report.results)).toEqual(strip(recorded.results))
  } finally {
    await replay.stop()
  }
})

test('a server that answers the UNCONFIRMED cases the other way is reported as differing, and how', async () => {
  await remote.reset()
  await remote.configure({ tokenInfoRoleDivisions: true, patchEndedConversation: 'conflict' })
  const { id } = await remote.createConversation({})
  const { status, report } = conformance(['--live', '--base-url', remote.url, '--allow-writes', '--conversation', id], LIVE_ENV)
  expect(status).toBe(1)
  const differing = report.results.filter((r) => r.result === 'differs')
  expect(differing.map((r) => [r.id, r.tag, r.observed])).toEqual([
    ['tokensMe.roleDivisions', 'UNCONFIRMED', 'present'],
    ['write.patchOnEnded', 'UNCONFIRMED', '409 conversation.already.ended'],
  ])
})

test('bad arguments exit 2 with the usage, before any request', () => {
  const r = spawnSync(process.execPath, [RUN, '--live', '--base-url', 'http://example.com'], { env: { ...process.env, ...LIVE_ENV }, encoding: 'utf8' })
  expect(r.status).toBe(2)
  expect(r.stderr).toMatch(/https \(plain http only to loopback\)/)
  const w = spawnSync(process.execPath, [RUN, '--live', '--allow-writes', '--base-url', remote.url], { env: { ...process.env, ...LIVE_ENV }, encoding: 'utf8' })
  expect(w.status).toBe(2)
  expect(w.stderr).toMatch(/--conversation/)
})

/** A deployment with a session duration on `remote`, and the role that reads it given to the seeded client. */
async function deploymentOnRemote(): Promise<string> {
  await remote.admin('POST', 'roles', { id: 'a0000000-0000-4000-8000-000000000004', name: 'Inspector', permissions: ['oauth:client:view', 'authorization:role:view', 'webDeployments:deployment:view', 'webDeployments:configuration:view'] })
  const d = await remote.admin<{ id: string }>('POST', 'deployments', { name: 'web', configuration: { conversationClear: true, sessionDurationSeconds: 3600 } })
  return d.id
}

const DEPLOYMENT_CHECKS = ['deployment.configurationVersion', 'deployment.activeConfiguration', 'deployment.configJson', 'deployment.configJsonSessionDuration']

test('--deployment reads the Messenger deployment (read-only, config.json without a token); without it those checks are not run', async () => {
  await remote.reset()
  const id = await deploymentOnRemote()
  const without = byId(conformance(['--live', '--base-url', remote.url], LIVE_ENV).report.results)
  for (const c of DEPLOYMENT_CHECKS) expect(without[c].observed).toMatch(/--deployment/)
  expect(without['guest.configureAndEcho'].result).toBe('could not check')
  await remote.reset()
  const id2 = await deploymentOnRemote()
  const { status, report } = conformance(['--live', '--base-url', remote.url, '--deployment', id2], LIVE_ENV)
  expect(status).toBe(0)
  const rows = byId(report.results)
  for (const c of [...DEPLOYMENT_CHECKS, 'queues.listingMediaSettings', 'queues.listingMatchesGet']) expect([c, rows[c].result]).toEqual([c, 'pass'])
  const log = await remote.requests()
  expect(log.filter((r) => r.method !== 'GET' && !(r.method === 'POST' && /oauth\/token|analytics/.test(r.path))).every((r) => r.path.includes(NIL))).toBe(true)
  expect(log.some((r) => r.path.endsWith(`/webdeployments/v1/deployments/${id2}/config.json`))).toBe(true)
  expect(id).not.toBe(id2)
})

test('the queue and deployment UNCONFIRMED cases answered the other way are reported as differing', async () => {
  await remote.reset()
  const id = await deploymentOnRemote()
  await remote.configure({ queueListingMediaSettings: false, configJsonSessionDuration: true })
  const { status, report } = conformance(['--live', '--base-url', remote.url, '--deployment', id], LIVE_ENV)
  expect(status).toBe(1)
  expect(report.results.filter((r) => r.result === 'differs').map((r) => [r.id, r.tag, r.observed])).toEqual([
    ['queues.listingMediaSettings', 'UNCONFIRMED', 'absent'],
    ['deployment.configJsonSessionDuration', 'UNCONFIRMED', 'present'],
  ])
  expect(byId(report.results)['queues.listingMatchesGet'].result).toBe('could not check')
})

test('--guest-deployment runs the guest check with GENESYS_GUEST_TOKEN only: configure and echo, never Clear, the token nowhere', async () => {
  await remote.reset()
  const id = await deploymentOnRemote()
  const token = `tok-CANARY-${require('node:crypto').randomUUID()}`
  const { conversationId } = await remote.admin<{ conversationId: string }>('POST', 'guest/sessions', { deploymentId: id, token, queueId: 'c0000000-0000-4000-8000-000000000001' })
  const tokenOnly = conformance(['--live', '--base-url', remote.url], { ...LIVE_ENV, GENESYS_GUEST_TOKEN: token })
  expect(byId(tokenOnly.report.results)['guest.configureAndEcho'].result).toBe('could not check')
  const trace = path.join(tmp, 'guest-trace.json')
  const r = conformance(['--live', '--base-url', remote.url, '--guest-deployment', id, '--record', trace], { ...LIVE_ENV, GENESYS_GUEST_TOKEN: token })
  const row = byId(r.report.results)['guest.configureAndEcho']
  expect([row.result, row.observed]).toEqual(['pass', expect.stringContaining('newSession false')])
  const frames = await remote.admin<{ actions: Array<{ action: string; detail: string | null }> }>('GET', `guest/connections?deploymentId=${id}`)
  expect(frames.actions.map((a) => a.action)).toEqual(['configureSession', 'echo'])
  expect((await remote.conversation(conversationId)).state).toBe('active')
  for (const text of [JSON.stringify(r.report), r.stderr, fs.readFileSync(trace, 'utf8')]) expect(text).not.toContain(token)
  // A token the server never saw: its new session is closed again, and no conversation starts.
  const before = ((await remote.admin('GET', 'conversations')) as { ids: string[] }).ids.length
  const fresh = conformance(['--live', '--base-url', remote.url, '--guest-deployment', id], { ...LIVE_ENV, GENESYS_GUEST_TOKEN: `tok-CANARY-${require('node:crypto').randomUUID()}` })
  expect(byId(fresh.report.results)['guest.configureAndEcho'].observed).toMatch(/newSession true/)
  expect(((await remote.admin('GET', 'conversations')) as { ids: string[] }).ids.length).toBe(before)
  const after = await remote.admin<{ actions: Array<{ action: string }> }>('GET', `guest/connections?deploymentId=${id}`)
  expect(after.actions.map((a) => a.action).slice(2)).toEqual(['configureSession', 'echo', 'closeSession'])
  // Without the token the option is a usage error.
  const bare = spawnSync(process.execPath, [RUN, '--live', '--base-url', remote.url, '--guest-deployment', id], { env: { ...process.env, ...LIVE_ENV, GENESYS_GUEST_TOKEN: '' }, encoding: 'utf8' })
  expect(bare.status).toBe(2)
  expect(bare.stderr).toMatch(/GENESYS_GUEST_TOKEN/)
})
