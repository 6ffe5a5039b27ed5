// `genesys-cleanup watch` run as an operator would: a child process against
// the emulator, stopped with SIGINT.
import { spawn } from 'node:child_process'
import * as path from 'node:path'
import type { WatchEvent, WatchReport } from '../index'
import { emulatorPerFile, SEED } from './helpers'

const CLI = path.join(__dirname, '..', 'bin', 'genesys-cleanup.js')
const emu = emulatorPerFile()

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function env(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('GENESYS_') && k !== 'DEBUG') out[k] = v
  return { ...out, GENESYS_BASE_URL: emu.url, GENESYS_CLIENT_ID: SEED.cleanupClient.clientId, GENESYS_CLIENT_SECRET: SEED.cleanupClient.clientSecret }
}

/** Runs the CLI; `until(stdout, stderr)` says when to send SIGINT. */
function watchUntil(args: string[], until: (stdout: string, stderr: string) => boolean): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    let sent = false
    const check = () => {
      if (!sent && until(stdout, stderr)) {
        sent = true
        child.kill('SIGINT')
      }
    }
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      check()
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
      check()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.once('error', reject)
    child.once('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

test('watch --json prints events as JSON lines and the report last; Ctrl-C stops it cleanly', async () => {
  let created = ''
  const r = await watchUntil(['--json', 'watch', '--idle', '2s', '--queue', 'Support'], (stdout) => {
    if (!created && stdout.includes('"reconciled"')) {
      created = 'pending'
      void emu.createConversation({}).then((c) => (created = c.id))
    }
    return created.length > 10 && stdout.includes(`"closed"`)
  })
  expect(r.code).toBe(0)
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l))
  const events = lines.slice(0, -1) as WatchEvent[]
  expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['connected', 'reconciled', 'closed']))
  expect(events.find((e) => e.kind === 'closed')?.conversationId).toBe(created)
  const last = lines[lines.length - 1] as { kind: string; report: WatchReport }
  expect(last.kind).toBe('report')
  expect(last.report).toMatchObject({ closed: 1, topics: 1, channels: 1, failed: 0 })
  expect(r.stderr).toContain('SIGINT: stopping')
  expect((await emu.conversation(created)).state).toBe('ended')
  expect(r.stdout + r.stderr).not.toContain(SEED.cleanupClient.clientSecret)
})

test('watch prints a readable summary; an unknown queue is a configuration error', async () => {
  const r = await watchUntil(['watch', '--idle', '1m', '--dry-run'], (_out, err) => err.includes('Ctrl-C stops') && err.includes('connected'))
  expect(r.code).toBe(0)
  expect(r.stdout).toContain('Watch (dry run, nothing was written) stopped after')
  expect(r.stdout).toMatch(/3 queue topic\(s\) on 1 channel\(s\)/)
  const bad = await watchUntil(['watch', '--idle', '1m', '--queue', 'Nope'], () => false)
  expect(bad.code).toBe(2)
  expect(bad.stderr).toMatch(/error \[ERR_INVALID_ARGUMENT\]: queues: no queue has the id or name/)
  const usage = await watchUntil(['watch', '--queue', 'Support'], () => false)
  expect(usage.code).toBe(2)
  expect(usage.stderr).toMatch(/--idle/)
})

test('watch shows a close that activity followed (activityAfterRead): its line, and its row in the summary', async () => {
  await emu.configure({ messageAfterRead: true })
  try {
    let created = ''
    const r = await watchUntil(['watch', '--idle', '2s', '--queue', 'Support'], (_out, err) => {
      if (!created && err.includes('connected')) {
        created = 'pending'
        void emu.createConversation({}).then((c) => (created = c.id))
      }
      return created.length > 10 && err.includes('activityAfterRead')
    })
    expect(r.code).toBe(0)
    // Not a terminal: one line per notable event on stderr.
    expect(r.stderr).toMatch(new RegExp(`activityAfterRead  ${created}  last activity \\d{4}-`))
    expect(r.stdout).toMatch(/activity after read\s+1\n/)
  } finally {
    await emu.configure({ messageAfterRead: false })
  }
})
