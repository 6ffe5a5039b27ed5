// The npm package as a user gets it: what `npm pack` ships, the per-platform
// packages, publint and arethetypeswrong, types that match the runtime, and an
// end-to-end install of the packed tarballs into a fresh TypeScript project
// (require and import, tsc strict with module nodenext, and a Jest suite that
// runs against the emulator through `genesys-cleanup/testing`). No network and
// no dependence on the npm cache: the package's runtime dependencies are packed
// from this checkout's node_modules (the versions package-lock.json pins), npm
// installs with --offline into a cache of its own, and the temp project
// borrows this checkout's typescript, jest and ts-jest through symlinks.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const ROOT = path.join(__dirname, '..')
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
// eslint-disable-next-line @typescript-eslint/no-require-imports
const artifacts = require('../scripts/npm-artifacts.js') as {
  targets(): Array<{ triple: string; platformArchABI: string; platform: string; arch: string; abi: string | null }>
  emulatorName(platformArchABI: string): string
  addonName(pkg: unknown, platformArchABI: string): string
  hostPlatformArchABI(): string
  publishManifest(): Record<string, unknown>
  placePlatformBinaries(o: { addon: string; emulator: string; destDir: string; platformArchABI: string }): void
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const packer = require('../scripts/pack.js') as {
  pack(o: { out: string; addon?: string; emulator?: string }): { main: string; platform: string; platformPackage: string }
}

/** A tarball's entries (without npm's `package/` prefix) -> their `tar -tv` mode string. */
function tarListing(tgz: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of run('tar', ['-tvzf', tgz], path.dirname(tgz)).trim().split('\n')) {
    const fields = line.trim().split(/\s+/)
    out.set(fields[fields.length - 1].replace(/^package\//, ''), fields[0])
  }
  return out
}

interface PackedFile {
  path: string
  size: number
  mode: number
}
interface PackResult {
  filename: string
  size: number
  unpackedSize: number
  files: PackedFile[]
}

/** Environment for child tools: no Jest worker state, no emulator override. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...extra }
  for (const key of Object.keys(env)) if (key.startsWith('JEST_') || key === 'GENESYS_EMULATOR_BIN' || key === 'NAPI_RS_NATIVE_LIBRARY_PATH') delete env[key]
  return env
}

const IS_WINDOWS = process.platform === 'win32'

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): string {
  // npm is a .cmd script on Windows, which only a shell starts.
  const r = spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout, shell: IS_WINDOWS && cmd === 'npm' })
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited with ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`)
  }
  return r.stdout
}

/** Runs a devDependency's CLI with this Node (no .bin shims, so Windows works too). */
function runBin(packageName: string, binName: string, args: string[], cwd: string): string {
  // (not require.resolve: publint's `exports` hide its package.json)
  const manifestPath = path.join(ROOT, 'node_modules', packageName, 'package.json')
  const bin = JSON.parse(fs.readFileSync(manifestPath, 'utf8')).bin
  const rel: string = typeof bin === 'string' ? bin : bin[binName]
  return run(process.execPath, [path.join(path.dirname(manifestPath), rel), ...args], cwd)
}

function packDryRun(dir: string): PackResult {
  return JSON.parse(run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], dir))[0]
}

/** Executable bits survive only where the file system has them (npm packs on Linux for release). */
const isExecutable = (mode: number) => IS_WINDOWS || (mode & 0o111) !== 0

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`

/** The reference pages a user needs: docs/*.md ship; docs/contributing/ does not. */
function userDocs(): string[] {
  return fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`)
}

// Exactly what a user needs, besides the CLI's files (under CLI_DIRS).
const SHIPPED = [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'LICENSE',
  'index.js',
  'index.mjs',
  'index.d.ts',
  'index.d.mts',
  'binding.js',
  'binding.d.ts',
  'testing.js',
  'testing.d.ts',
  'redis.js',
  'redis.d.ts',
  ...userDocs(),
  'conformance/run.js',
  'conformance/checks.js',
  'conformance/http.js',
  'examples/session-cleanup-service.ts',
  'otel.js',
  'otel.d.ts',
  'fleet.js',
  'fleet.d.ts',
  'browser.js',
  'browser.mjs',
]

/** The CLI: its entry in bin/, its modules in lib/cli/; lib/ also holds the library's own small modules (log.js). */
const CLI_DIRS = ['bin', 'lib']
const isCliFile = (f: string) => CLI_DIRS.some((d) => f.startsWith(`${d}/`))

/** The JavaScript files under CLI_DIRS in this checkout, relative, with forward slashes. */
function cliSources(): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
      const child = `${rel}/${entry.name}`
      if (entry.isDirectory()) walk(child)
      else if (/\.(c|m)?js$/.test(entry.name)) out.push(child)
    }
  }
  for (const d of CLI_DIRS) walk(d)
  return out.sort()
}

describe('npm pack', () => {
  let packed: PackResult
  beforeAll(() => {
    packed = packDryRun(ROOT)
  })

  test('ships exactly the entry points, types, testing helper, CLI and docs', () => {
    const files = packed.files.map((f) => f.path).sort()
    // eslint-disable-next-line no-console
    console.log(
      [
        `${packed.filename}: ${kB(packed.size)} packed, ${kB(packed.unpackedSize)} unpacked, ${files.length} files`,
        ...packed.files.map((f) => `  ${String(f.size).padStart(8)}  ${f.path}`),
      ].join('\n'),
    )
    expect(files.filter((f) => !isCliFile(f))).toEqual([...SHIPPED].sort())
    // The CLI's entry and every one of its modules, and nothing else there.
    const cli = files.filter(isCliFile)
    expect(cli).toEqual(cliSources())
    expect(cli).toContain('bin/genesys-cleanup.js')
    expect(cli).toContain('lib/cli/main.js')
    for (const f of cli) expect(f).toMatch(/^(bin|lib(\/cli)?)\/([\w-]+\/)*[\w.-]+\.(c|m)?js$/)
    // Every declared executable is in the package, and executable.
    for (const target of Object.values<string>(pkg.bin ?? {})) {
      const entry = packed.files.find((f) => f.path === target.replace(/^\.\//, ''))
      expect(entry).toBeDefined()
      expect(isExecutable(entry!.mode)).toBe(true)
    }
    // Belt and braces: never sources, tests, builds or binaries.
    for (const f of files) expect(f).not.toMatch(/(^|\/)(src|crates|target|__test__|bench|scripts|npm|fuzz)\/|\.(rs|node|ts\.map|tgz)$|^Cargo\./)
    // A binary slipping in would show here first: the addon is megabytes, while
    // the largest text file (index.d.ts) is about 60 kB and the whole package,
    // docs/ pages, fleet and conformance included, under 600 kB.
    for (const f of packed.files) expect({ path: f.path, small: f.size < 128 * 1024 }).toEqual({ path: f.path, small: true })
    expect(packed.unpackedSize).toBeLessThan(1024 * 1024)
  })

  test('the shipped reference pages cite nothing a user cannot open', () => {
    // Repository paths, test files, cargo commands and the private research
    // notes (and their source tags) belong in docs/contributing/, which is not shipped.
    const docs = packed.files.map((f) => f.path).filter((f) => f.startsWith('docs/'))
    expect(docs.sort()).toEqual(userDocs().sort())
    expect(docs).toContain('docs/emulator.md')
    const private_ = [/shared\//, /__test__/, /\bcrates\//, /\bsrc\/\w+\.rs\b/, /\bcargo (build|test|run)\b/, /API notes/i, /\b(B-ES|B-EB|F7423|JS262)\b/]
    for (const page of docs) {
      const text = fs.readFileSync(path.join(ROOT, page), 'utf8')
      expect({ page, cites: private_.filter((re) => re.test(text)).map(String) }).toEqual({ page, cites: [] })
    }
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'emulator.md'), 'utf8')).toMatch(/## Sources/)
  })

  test('every entry point named in package.json is shipped', () => {
    const files = new Set(packed.files.map((f) => f.path))
    const targets: string[] = [pkg.main, pkg.types]
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v)
      else if (v && typeof v === 'object') Object.values(v).forEach(walk)
    }
    walk(pkg.exports)
    for (const t of targets) expect(files.has(t.replace(/^\.\//, ''))).toBe(true)
    expect(Object.keys(pkg.exports).sort()).toEqual(['.', './fleet', './otel', './package.json', './redis', './testing'])
    // Browsers and edge runtimes first (conditions match in order), then Node's.
    expect(Object.keys(pkg.exports['.'])).toEqual(['browser', 'worker', 'workerd', 'edge-light', 'import', 'require'])
    for (const condition of ['import', 'require']) expect(Object.keys(pkg.exports['.'][condition])).toEqual(['types', 'default'])
    for (const runtime of ['browser', 'worker', 'workerd', 'edge-light']) {
      for (const condition of ['import', 'require']) expect(Object.keys(pkg.exports['.'][runtime][condition])).toEqual(['types', 'default'])
    }
  })

  test('publint finds nothing to fix', () => {
    const out = runBin('publint', 'publint', ['--strict', '--level', 'suggestion'], ROOT)
    // eslint-disable-next-line no-console
    console.log(out.trim())
    expect(out).toMatch(/All good/)
  })

  // attw needs Node >= 20: the release workflow runs this file once, on Node 20,
  // and leaves it out of the per-platform test matrix (which includes Node 18).
  test('arethetypeswrong: types resolve for node10, node16 (CJS and ESM) and bundler', () => {
    const out = runBin('@arethetypeswrong/cli', 'attw', ['--pack', '.', '--format', 'table-flipped'], ROOT)
    expect(out).toMatch(/No problems found/)
  })
})

describe('types match the runtime', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtime = require('../index.js') as Record<string, unknown>
  const dts = fs.readFileSync(path.join(ROOT, 'index.d.ts'), 'utf8')

  test('index.d.ts declares exactly the values index.js exports, and index.mjs re-exports them', async () => {
    // A function with overloads is declared once per overload.
    const declared = [...new Set([...dts.matchAll(/^export declare (?:const|function|class) (\w+)/gm)].map((m) => m[1]))].sort()
    expect(declared).toEqual(Object.keys(runtime).sort())
    const mjs = fs.readFileSync(path.join(ROOT, 'index.mjs'), 'utf8')
    const reexported = /export const \{([^}]+)\}/.exec(mjs)![1].split(',').map((s) => s.trim()).filter(Boolean).sort()
    expect(reexported).toEqual(Object.keys(runtime).sort())
  })

  test('ErrorCode lists exactly ERROR_CODES', () => {
    const union = /export type ErrorCode =([^;]*?)\n\n/s.exec(dts)![1]
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1])
    expect(codes).toEqual(runtime.ERROR_CODES)
  })

  test('every export of index.d.ts and testing.d.ts has a TSDoc comment', () => {
    for (const file of ['index.d.ts', 'testing.d.ts', 'otel.d.ts', 'fleet.d.ts']) {
      const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n')
      const undocumented: string[] = []
      lines.forEach((line, i) => {
        if (!/^export (declare |type |interface )/.test(line)) return
        let j = i - 1
        if (!/\*\/\s*$/.test(lines[j] ?? '')) undocumented.push(line.trim())
      })
      expect({ file, undocumented }).toEqual({ file, undocumented: [] })
    }
  })
})

describe('per-platform packages (npm/)', () => {
  const targets = artifacts.targets()

  test('one directory per napi target, each shipping the addon and the emulator', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'npm')).sort()
    expect(dirs).toEqual(targets.map((t) => t.platformArchABI).sort())
    for (const t of targets) {
      const p = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', t.platformArchABI, 'package.json'), 'utf8'))
      const addon = artifacts.addonName(pkg, t.platformArchABI)
      expect(p).toMatchObject({
        name: `${pkg.name}-${t.platformArchABI}`,
        version: pkg.version,
        main: addon,
        files: [addon, artifacts.emulatorName(t.platformArchABI)],
        license: pkg.license,
        engines: pkg.engines,
        os: [t.platform],
        cpu: [t.arch],
      })
      // npm provenance checks each package's repository (napi create-npm-dirs copies it).
      expect(p.repository).toEqual(pkg.repository)
      if (t.platform === 'linux') expect(p.libc).toEqual([t.abi === 'musl' ? 'musl' : 'glibc'])
    }
  })

  test('npm-artifacts refuses an addon that is not a stripped release build', () => {
    const checks = artifacts as unknown as {
      releaseAddonProblem(file: string): string | null
      buildProfile(buf: Buffer): string | null
      elfSectionNames(buf: Buffer): string[] | null
    }
    const platform = artifacts.hostPlatformArchABI()
    const addon = path.join(ROOT, artifacts.addonName(pkg, platform))
    // What `npm test` leaves in the checkout: the dev-opt build.
    const dev = fs.readFileSync(addon)
    expect(checks.buildProfile(dev)).toBe('dev-opt')
    expect(checks.releaseAddonProblem(addon)).toMatch(/is a dev-opt build, not a release build: build it with `npx napi build --platform --release`/)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gc-artifacts-'))
    try {
      // The same binary claiming the release profile: refused while it keeps its symbols.
      const relabelled = path.join(dir, path.basename(addon))
      const at = dev.indexOf('genesys-cleanup-build-profile=dev-opt;')
      fs.writeFileSync(relabelled, Buffer.concat([dev.subarray(0, at), Buffer.from('genesys-cleanup-build-profile=release;'), dev.subarray(at + 38)]))
      if (checks.elfSectionNames(dev) !== null) {
        expect(checks.releaseAddonProblem(relabelled)).toMatch(/is not stripped \(it has .*\.(symtab|debug_info)/)
        // Stripped as the release profile strips it (strip = "symbols"): accepted.
        if (spawnSync('strip', ['--strip-all', relabelled]).status === 0) expect(checks.releaseAddonProblem(relabelled)).toBeNull()
      }
      // The script as the release workflow runs it: exit 1, saying why, nothing placed.
      const artifactsDir = path.join(dir, 'artifacts')
      fs.mkdirSync(artifactsDir)
      fs.copyFileSync(addon, path.join(artifactsDir, path.basename(addon)))
      fs.copyFileSync((require('../testing') as typeof import('../testing')).findEmulatorBinary(), path.join(artifactsDir, artifacts.emulatorName(platform)))
      const npmDir = path.join(dir, 'npm')
      fs.cpSync(path.join(ROOT, 'npm'), npmDir, { recursive: true })
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'npm-artifacts.js'), '--artifacts', artifactsDir, '--npm-dir', npmDir, '--allow-missing'], { encoding: 'utf8' })
      expect(r.status).toBe(1)
      expect(r.stderr).toContain('is a dev-opt build, not a release build')
      expect(fs.existsSync(path.join(npmDir, platform, path.basename(addon)))).toBe(false)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  test('the published manifest lists every platform package in optionalDependencies, at the same version', () => {
    const manifest = artifacts.publishManifest() as { optionalDependencies: Record<string, string> }
    expect(manifest.optionalDependencies).toEqual(Object.fromEntries(targets.map((t) => [`${pkg.name}-${t.platformArchABI}`, pkg.version])))
    expect(pkg.scripts.prepublishOnly).toMatch(/^napi (pre-publish|prepublish)\b/)
  })
})

// ---------------------------------------------------------------------------
// End to end: a fresh TypeScript project installs the packed tarballs.

/** test/parallel-N.test.ts: one org of the shared emulator per file. */
const PARALLEL_FILES: Record<string, string> = Object.fromEntries(
  [1, 2, 3, 4].map((n) => [
    `test/parallel-${n}.test.ts`,
    `import { closeConversation, CleanupClient, isCleanupError } from 'genesys-cleanup'
import { connectEmulator, type EmulatorOrg } from 'genesys-cleanup/testing'

const shared = connectEmulator()
let org: EmulatorOrg
beforeAll(async () => {
  org = await shared.org()
})
afterAll(() => org.stop())

test('file ${n}: its scripted 429s are its own', async () => {
  const { ids } = await org.seed({ count: ${4 + n}, mix: { webmessaging: 1 }, endedFraction: 0 })
  // Every request of this org's token answers 429 ${n} times first.
  await org.script({ path: '/api/v2/**', token: 'cc-cleanup-token', times: ${n}, respond: { status: 429, retryAfter: 0 } })
  const client = new CleanupClient({ baseUrl: org.url, accessToken: 'cc-cleanup-token' })
  const report = await client.closeConversations(ids, { concurrency: 4 })
  expect(report.closed).toBe(${4 + n})
  expect(report.rateLimited).toBe(${n})
  const log = await org.requests()
  expect(log.filter((r) => r.status === 429)).toHaveLength(${n})
  expect(log.filter((r) => r.method === 'PATCH' && r.status === 200)).toHaveLength(${4 + n})
})

test('file ${n}: its scripted 403s are its own', async () => {
  const { id } = await org.createConversation({})
  // Every write of this org is refused: the conversation PATCH and the participant fallback.
  await org.script({ method: 'PATCH', path: '/api/v2/conversations/messages/**', times: 10, respond: { status: 403, code: 'missing.permissions', message: 'Unable to perform the requested action. You are missing the following permission(s): [conversation:communication:disconnect]' } })
  const e: unknown = await closeConversation(id, { baseUrl: org.url, accessToken: 'cc-cleanup-token' }).catch((x: unknown) => x)
  expect(isCleanupError(e) && e.status).toBe(403)
  expect((await org.conversation(id)).state).toBe('active')
  const refused = (await org.requests()).filter((r) => r.status === 403)
  expect(refused.length).toBeGreaterThan(0)
  expect(refused.every((r) => r.path.includes(id))).toBe(true)
})
`,
  ]),
)

const APP_FILES: Record<string, string> = {
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        isolatedModules: true,
        types: ['node', 'jest'],
      },
      include: ['src', 'test'],
    },
    null,
    2,
  ),
  'jest.config.js': `module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
}
`,
  // globalSetup runs once, in Jest's main process: one emulator for every test file.
  'test/global-setup.js': `const { startEmulator } = require('genesys-cleanup/testing')

module.exports = async () => {
  const emulator = await startEmulator()
  process.env.GENESYS_EMULATOR_URL = emulator.url
  globalThis.__GENESYS_EMULATOR__ = emulator
}
`,
  'test/global-teardown.js': `module.exports = async () => {
  await globalThis.__GENESYS_EMULATOR__?.stop()
}
`,
  'test/close.test.ts': `import { closeConversation, isCleanupError, CleanupClient, type CloseResult } from 'genesys-cleanup'
import { connectEmulator, findEmulatorBinary } from 'genesys-cleanup/testing'
import * as path from 'node:path'

const emulator = connectEmulator()
const credentials = { baseUrl: emulator.url, clientId: 'cleanup-client', clientSecret: 'cleanup-secret' }

test('the emulator and the addon come from the platform package', () => {
  expect(findEmulatorBinary().split(path.sep)).toContain('genesys-cleanup-' + process.env.E2E_PLATFORM)
  const addons = Object.keys(require.cache).filter((k) => k.endsWith('.node'))
  expect(addons).toEqual([expect.stringContaining(path.join('node_modules', 'genesys-cleanup-' + process.env.E2E_PLATFORM))])
})

test('closes a conversation created through the emulator admin API', async () => {
  const { id } = (await emulator.createConversation({ type: 'webmessaging' })) as { id: string }
  const result: CloseResult = await closeConversation(id, credentials)
  expect(result).toMatchObject({ conversationId: id, outcome: 'closed', method: 'conversation' })
  const stored = await emulator.conversation(id)
  expect(stored.state).toBe('ended')
  const again = await new CleanupClient({ baseUrl: emulator.url, accessToken: 'cc-cleanup-token' }).closeConversation(id)
  expect(again.outcome).toBe('alreadyClosed')
})

test('failures are CleanupErrors with a typed code', async () => {
  let caught: unknown
  try {
    await closeConversation('not-a-uuid', credentials)
  } catch (e) {
    caught = e
  }
  expect(isCleanupError(caught)).toBe(true)
  if (isCleanupError(caught)) {
    const code: 'ERR_INVALID_CONVERSATION_ID' | string = caught.code
    expect(code).toBe('ERR_INVALID_CONVERSATION_ID')
    expect(caught).toBeInstanceOf(Error)
  }
})
`,
  // Four files run in parallel (--maxWorkers=4) on the one emulator of
  // globalSetup, each in its own org, each scripting 429s and a 403: none
  // consumes another's scripts or sees another's requests.
  ...PARALLEL_FILES,
  // A test file may also start its own emulator.
  'test/own-emulator.test.ts': `import { checkScopes } from 'genesys-cleanup'
import { startEmulator, type Emulator } from 'genesys-cleanup/testing'

let emulator: Emulator
beforeAll(async () => {
  emulator = await startEmulator()
})
afterAll(() => emulator.stop())

test('checkScopes against a per-file emulator', async () => {
  const report = await checkScopes({ baseUrl: emulator.url, accessToken: 'cc-readonly-token' })
  expect(report.canClose).toBe(false)
  expect(report.missingPermissions.length).toBeGreaterThan(0)
})
`,
  // Type-checked only (tsc): both module systems, and wrong uses that must fail.
  'src/esm-usage.mts': `import cleanup, { closeConversation, isCleanupError, CleanupError, ERROR_CODES, type ErrorCode } from 'genesys-cleanup'
import { startEmulator, connectEmulator } from 'genesys-cleanup/testing'

export async function main(): Promise<ErrorCode | undefined> {
  const emulator = await startEmulator()
  try {
    const r = await closeConversation('x', { baseUrl: emulator.url, accessToken: 'cc-cleanup-token' })
    // @ts-expect-error: outcome typo
    if (r.outcome === 'close') return undefined
  } catch (e) {
    if (isCleanupError(e)) return e.code
    if (e instanceof cleanup.CleanupError) return e.code
    if (e instanceof CleanupError) return e.code
  } finally {
    await emulator.stop()
  }
  void connectEmulator
  return ERROR_CODES[0]
}
// @ts-expect-error: the generated binding is not part of the public API
import('genesys-cleanup/binding.js')
`,
  'src/cjs-usage.cts': `import cleanup = require('genesys-cleanup')
import testing = require('genesys-cleanup/testing')

export async function main(): Promise<string> {
  const client = new cleanup.CleanupClient({ region: 'eu_west_1', clientId: 'id', clientSecret: 'secret' })
  // @ts-expect-error: timeoutMs is a number
  new cleanup.CleanupClient({ accessToken: 't', timeoutMs: '1' })
  const report = await client.checkScopes()
  void testing.findEmulatorBinary
  return report.advice.join('\\n')
}
`,
  'src/check.cjs': `const assert = require('node:assert')
const cleanup = require('genesys-cleanup')
const testing = require('genesys-cleanup/testing')
assert.deepStrictEqual(Object.keys(cleanup).sort(), ['CleanupClient', 'CleanupError', 'ERROR_CODES', 'checkScopes', 'closeConversation', 'endGuestConversation', 'isCleanupError', 'queueTimers', 'regions', 'setQueueInactivity'])
assert.strictEqual(typeof testing.startEmulator, 'function')
assert.strictEqual(require('genesys-cleanup/package.json').name, 'genesys-cleanup')
assert.throws(() => require('genesys-cleanup/binding.js'), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' })
console.log('require: ok')
`,
  'src/check.mjs': `import assert from 'node:assert'
import { createRequire } from 'node:module'
import cleanup, { closeConversation, CleanupError, isCleanupError, ERROR_CODES } from 'genesys-cleanup'
import { startEmulator } from 'genesys-cleanup/testing'

const require = createRequire(import.meta.url)
// One addon instance: the ESM entry re-exports the CommonJS objects.
assert.strictEqual(CleanupError, require('genesys-cleanup').CleanupError)
assert.strictEqual(cleanup.closeConversation, closeConversation)
assert.strictEqual(ERROR_CODES.length, 16)
const emulator = await startEmulator()
try {
  const { id } = await emulator.createConversation({})
  const result = await closeConversation(id, { baseUrl: emulator.url, accessToken: 'cc-cleanup-token' })
  assert.strictEqual(result.outcome, 'closed')
  await closeConversation('nope', { baseUrl: emulator.url, accessToken: 'cc-cleanup-token' }).then(
    () => assert.fail('expected a rejection'),
    (e) => assert.ok(isCleanupError(e) && e.code === 'ERR_INVALID_CONVERSATION_ID'),
  )
} finally {
  await emulator.stop()
}
console.log('import: ok')
`,
}

// Borrowed from this checkout instead of downloaded.
const BORROWED = ['typescript', 'jest', 'ts-jest', '@types/node', '@types/jest']

/**
 * The package's runtime dependencies (the CLI's, and theirs) as `npm ci`
 * installed them here: every package-lock.json entry that is not dev-only.
 * An optional one that this platform skipped is left out, as npm leaves it out.
 */
function runtimeDependencyDirs(): string[] {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dev?: boolean; optional?: boolean; link?: boolean }>
  }
  const dirs: string[] = []
  const seen = new Map<string, string>()
  for (const [where, entry] of Object.entries(lock.packages)) {
    if (!where.startsWith('node_modules/') || entry.dev || entry.link) continue
    const dir = path.join(ROOT, where)
    if (!fs.existsSync(path.join(dir, 'package.json'))) {
      if (entry.optional) continue
      throw new Error(`${where} is in package-lock.json but not installed: run \`npm ci\` first`)
    }
    // Installed side by side in the temp project, so one version per name.
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)
    if (seen.has(name)) throw new Error(`two runtime versions of ${name} (${seen.get(name)} and ${entry.version}): this test installs one of each`)
    seen.set(name, entry.version ?? '')
    dirs.push(dir)
  }
  return dirs
}

/**
 * The README's "Testing your service" recipe, as a user would copy it: every
 * js/ts code block of that section whose first line is `// <file>` (a comment
 * may follow the name) is that file, and the `npm install` line of its sh
 * block names the tools.
 */
function readmeRecipe(): { files: Record<string, string>; install: string[] } {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const start = readme.indexOf('\n## Testing your service\n')
  expect(start).toBeGreaterThan(-1)
  const section = readme.slice(start + 1, readme.indexOf('\n## ', start + 1))
  const files: Record<string, string> = {}
  let install: string[] = []
  for (const m of section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)) {
    const [, lang, body] = m
    if (lang === 'sh') {
      const line = body.split('\n').find((l) => l.startsWith('npm install'))
      if (line) install = line.split(/\s+/).slice(2).filter((w) => !w.startsWith('-'))
      continue
    }
    const name = /^\/\/ ([\w./-]+\.[cm]?[jt]s)(?::.*)?\n/.exec(body)
    if (name) files[name[1]] = body
  }
  return { files, install }
}

describe('end to end: install the packed tarballs into a fresh TypeScript project', () => {
  const platform = artifacts.hostPlatformArchABI()
  // No silent skip: on a platform without a package this suite fails, saying so.
  const supported = artifacts.targets().some((t) => t.platformArchABI === platform)
  test('the host platform has a platform package', () => {
    expect({ platform, supported }).toEqual({ platform, supported: true })
  })
  let work = ''
  let app = ''
  let installed = false

  // In hooks, so that a run filtered to other tests (-t) leaves no directory behind.
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'genesys-cleanup-e2e-'))
    app = path.join(work, 'app')
  })
  afterAll(() => {
    if (work && !process.env.KEEP_E2E) fs.rmSync(work, { recursive: true, force: true })
  })

  let mainTgz = ''
  let depTgzs: string[] = []
  let npmCache = ''

  test(
    'npm install --offline of the main and the platform tarball (and the runtime dependencies, packed here)',
    () => {
      // scripts/pack.js: the main package with package.json as `napi pre-publish`
      // makes it, and this host's platform package with the addon and emulator built here.
      const emulatorBin = (require('../testing') as typeof import('../testing')).findEmulatorBinary()
      const packed = packer.pack({ out: work, emulator: emulatorBin })
      mainTgz = packed.main
      const platformTgz = packed.platform
      expect(packed.platformPackage).toBe(`genesys-cleanup-${platform}`)
      const listing = tarListing(platformTgz)
      expect([...listing.keys()].sort()).toEqual(['README.md', artifacts.addonName(pkg, platform), artifacts.emulatorName(platform), 'package.json'].sort())
      expect(IS_WINDOWS || /^-rwx/.test(listing.get(artifacts.emulatorName(platform))!)).toBe(true)
      // eslint-disable-next-line no-console
      console.log(`${path.basename(platformTgz)}: ${kB(fs.statSync(platformTgz).size)} packed`)
      const mainManifest = JSON.parse(run('tar', ['-xOzf', mainTgz, 'package/package.json'], work)) as { optionalDependencies: Record<string, string> }
      expect(mainManifest.optionalDependencies).toEqual(artifacts.publishManifest().optionalDependencies)

      fs.mkdirSync(app)
      fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'e2e-app', version: '1.0.0', private: true, type: 'commonjs' }, null, 2))
      for (const [name, text] of Object.entries(APP_FILES)) {
        fs.mkdirSync(path.dirname(path.join(app, name)), { recursive: true })
        fs.writeFileSync(path.join(app, name), text)
      }
      // The runtime dependencies as tarballs, packed from this checkout's
      // node_modules: npm resolves genesys-cleanup's ranges against them, so
      // nothing is looked up in a registry or in the user's npm cache.
      const depsDir = path.join(work, 'deps')
      fs.mkdirSync(depsDir)
      depTgzs = runtimeDependencyDirs().map((dir) => path.join(depsDir, run('npm', ['pack', '--ignore-scripts', '--pack-destination', depsDir, dir], work).trim().split('\n').pop()!))
      const declared = Object.keys(pkg.dependencies ?? {})

      // --offline with an empty cache of its own: whatever the user's npm cache
      // holds (empty on a fresh machine, warm elsewhere) changes nothing. The
      // other platforms' optional packages are not fetched (npm skips an
      // optional dependency it cannot get).
      npmCache = path.join(work, 'npm-cache')
      run('npm', ['install', '--offline', '--cache', npmCache, '--no-audit', '--no-fund', '--ignore-scripts=false', mainTgz, platformTgz, ...depTgzs], app, 180_000)

      const lock = JSON.parse(fs.readFileSync(path.join(app, 'package-lock.json'), 'utf8'))
      expect(Object.keys(lock.packages['node_modules/genesys-cleanup'].optionalDependencies)).toContain(`genesys-cleanup-${platform}`)
      // The package's own dependencies resolved to the packed ones, at the versions package-lock.json pins.
      const rootLock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'))
      expect(declared.length).toBeGreaterThan(0)
      for (const name of declared) {
        expect({ name, version: lock.packages[`node_modules/${name}`]?.version }).toEqual({ name, version: rootLock.packages[`node_modules/${name}`].version })
      }
      expect(fs.existsSync(path.join(app, 'node_modules', 'genesys-cleanup', 'genesys-cleanup.' + platform + '.node'))).toBe(false)
      for (const name of BORROWED) {
        const link = path.join(app, 'node_modules', name)
        fs.mkdirSync(path.dirname(link), { recursive: true })
        fs.symlinkSync(path.join(ROOT, 'node_modules', name), link, 'junction')
      }
      installed = true
    },
    240_000,
  )

  test(
    'installed without its platform package, require and import throw ERR_NATIVE_ADDON naming the package to install',
    () => {
      expect(installed).toBe(true)
      // As with --omit=optional: the main tarball and its dependencies only.
      const bare = path.join(work, 'no-platform-package')
      fs.mkdirSync(bare)
      fs.writeFileSync(path.join(bare, 'package.json'), JSON.stringify({ name: 'bare-app', version: '1.0.0', private: true }, null, 2))
      run('npm', ['install', '--offline', '--cache', npmCache, '--no-audit', '--no-fund', mainTgz, ...depTgzs], bare, 180_000)
      expect(fs.existsSync(path.join(bare, 'node_modules', `genesys-cleanup-${platform}`))).toBe(false)
      fs.writeFileSync(
        path.join(bare, 'check.cjs'),
        `try { require('genesys-cleanup') } catch (e) { console.log(JSON.stringify({ code: e.code, packageName: e.packageName, message: e.message, isError: e instanceof Error })) }\n`,
      )
      const out = JSON.parse(run(process.execPath, ['check.cjs'], bare).trim()) as { code: string; packageName: string; message: string; isError: boolean }
      expect(out).toMatchObject({ code: 'ERR_NATIVE_ADDON', packageName: `genesys-cleanup-${platform}`, isError: true })
      expect(out.message).toContain(`npm install genesys-cleanup-${platform}@${pkg.version}`)
      expect(out.message).not.toContain('wasm32-wasi')
      // An ESM import fails the same way: the process stops on the error, with its code.
      fs.writeFileSync(path.join(bare, 'check.mjs'), `import 'genesys-cleanup'\nconsole.log('loaded')\n`)
      const esm = spawnSync(process.execPath, ['check.mjs'], { cwd: bare, env: childEnv(), encoding: 'utf8', timeout: 60_000 })
      expect(esm.status).toBe(1)
      expect(esm.stdout).not.toContain('loaded')
      expect(esm.stderr).toContain(`Error: The native addon for ${process.platform} ${process.arch} is not installed: the package genesys-cleanup-${platform} is missing`)
      expect(esm.stderr).toContain("code: 'ERR_NATIVE_ADDON'")
    },
    240_000,
  )

  test(
    'require and import both load it',
    () => {
      expect(installed).toBe(true)
      expect(run(process.execPath, ['src/check.cjs'], app)).toContain('require: ok')
      expect(run(process.execPath, ['src/check.mjs'], app)).toContain('import: ok')
    },
    60_000,
  )

  test(
    'tsc --strict with module nodenext type-checks CommonJS and ESM usage',
    () => {
      expect(installed).toBe(true)
      run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app)
    },
    120_000,
  )

  test(
    "the user's Jest suite runs against the emulator through genesys-cleanup/testing",
    () => {
      expect(installed).toBe(true)
      // E2E_PARALLEL_RUNS=10 repeats the whole suite (the parallel files on
      // one shared emulator) to show it is not flaky.
      const runs = Number(process.env.E2E_PARALLEL_RUNS ?? 1)
      for (let i = 1; i <= runs; i++) {
        const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--colors=false', '--maxWorkers=4'], {
          cwd: app,
          env: childEnv({ E2E_PLATFORM: platform }),
          encoding: 'utf8',
          timeout: 180_000,
        })
        const output = `${r.stdout}\n${r.stderr}`
        if (r.status !== 0) throw new Error(`jest in the e2e project failed on run ${i} of ${runs} (${r.status ?? r.signal}):\n${output}`)
        expect(output).toMatch(/Tests:\s+12 passed, 12 total/)
        expect(output).toMatch(/Test Suites:\s+6 passed, 6 total/)
      }
      // eslint-disable-next-line no-console
      if (runs > 1) console.log(`the e2e Jest suite (4 files in parallel on one emulator) passed ${runs} times in a row`)
    },
    240_000,
  )

  // The README's recipe, verbatim, in a fresh CommonJS and a fresh ESM
  // TypeScript project with a common tsconfig (module nodenext, strict). The
  // projects share the e2e project's installed node_modules (the packed
  // tarballs, and jest, ts-jest, typescript and @types/jest from this checkout,
  // whose majors must be the ones the recipe names).
  test.each(['commonjs', 'module'])(
    "the README's Jest recipe runs as written in a %s TypeScript project",
    (type) => {
      expect(installed).toBe(true)
      const { files, install } = readmeRecipe()
      expect(Object.keys(files).sort()).toEqual(['jest.config.cjs', 'test/close.test.ts', 'test/global-setup.cjs', 'test/global-teardown.cjs'])
      // The versions it names are the ones it runs with here.
      const named = Object.fromEntries(install.map((spec) => [spec.slice(0, spec.lastIndexOf('@')), spec.slice(spec.lastIndexOf('@') + 1)]))
      expect(Object.keys(named).sort()).toEqual(['@types/jest', 'jest', 'ts-jest', 'typescript'])
      for (const [name, major] of Object.entries(named)) {
        const version: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version
        expect({ name, major: version.split('.')[0] }).toEqual({ name, major })
      }
      const dir = path.join(work, `recipe-${type}`)
      fs.mkdirSync(dir)
      fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `recipe-${type}`, version: '1.0.0', private: true, type }, null, 2))
      fs.writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'nodenext', moduleResolution: 'nodenext', strict: true, esModuleInterop: true, skipLibCheck: true } }, null, 2),
      )
      for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
        fs.writeFileSync(path.join(dir, name), text)
      }
      fs.symlinkSync(path.join(app, 'node_modules'), path.join(dir, 'node_modules'), 'junction')
      const r = spawnSync(process.execPath, [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci', '--colors=false'], {
        cwd: dir,
        env: childEnv(),
        encoding: 'utf8',
        timeout: 180_000,
      })
      const output = `${r.stdout}\n${r.stderr}`
      if (r.status !== 0) throw new Error(`the README recipe failed in a ${type} project (${r.status ?? r.signal}):\n${output}`)
      expect(output).toMatch(/Tests:\s+2 passed, 2 total/)
      expect(output).not.toMatch(/ts-jest\[[^\]]*\] \(WARN\)/)
    },
    240_000,
  )
})
