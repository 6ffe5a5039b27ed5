// Bundlers: esbuild (from npm) builds an app that uses genesys-cleanup, for
// the browser (where it must fail clearly, never with "Could not resolve fs")
// and for Node with the package external (the README's recipe), then runs it.
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import * as esbuild from 'esbuild'
import type { Emulator } from '../testing'
import { withEmulator, newConversation, SEED } from './helpers'
import { runNode, readmeSnippet, ROOT } from './netfixtures'

let emu: Emulator
beforeAll(async () => {
  emu = await withEmulator()
})
afterAll(async () => {
  await emu.stop()
})

/** A project folder with an app using genesys-cleanup, installed as a link to this checkout. */
function project(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gc-bundle-'))
  mkdirSync(path.join(dir, 'node_modules'))
  symlinkSync(ROOT, path.join(dir, 'node_modules', 'genesys-cleanup'), 'dir')
  symlinkSync(path.join(ROOT, 'node_modules', 'esbuild'), path.join(dir, 'node_modules', 'esbuild'), 'dir')
  writeFileSync(
    path.join(dir, 'server.js'),
    `const { closeConversation } = require('genesys-cleanup')
     closeConversation(process.env.CONVERSATION_ID, { baseUrl: process.env.GENESYS_BASE_URL, accessToken: process.env.GENESYS_TOKEN })
       .then((r) => console.log(r.outcome), (e) => console.log(e.code))\n`,
  )
  return dir
}

test('for the browser, esbuild resolves (no fs) and the bundle throws a clear typed error', async () => {
  const dir = project()
  for (const [platform, conditions] of [['browser', []], ['neutral', ['worker']], ['neutral', ['workerd']], ['neutral', ['edge-light']]] as const) {
    const out = path.join(dir, `${platform}-${conditions.join('')}.js`)
    const r = await esbuild.build({ entryPoints: [path.join(dir, 'server.js')], bundle: true, platform, conditions: [...conditions], mainFields: ['browser', 'module', 'main'], outfile: out, logLevel: 'silent', absWorkingDir: dir, format: 'cjs' })
    expect(r.errors).toEqual([])
    const run = await runNode(`try { require(${JSON.stringify(out)}) } catch (e) { console.log(e.code + ' ' + e.message) }`, {})
    expect(run.stdout).toMatch(/^ERR_UNSUPPORTED_RUNTIME genesys-cleanup runs only on Node\.js .*--external:genesys-cleanup/)
  }
})

test('for Node, the README recipe (external) builds a bundle that closes a conversation', async () => {
  const dir = project()
  const build = await runNode(readmeSnippet('bundlers'), {}, [], dir)
  expect(build.stderr).toBe('')
  const id = await newConversation(emu)
  const run = await runNode(`require(${JSON.stringify(path.join(dir, 'dist', 'server.js'))})`, { CONVERSATION_ID: id, GENESYS_BASE_URL: emu.url, GENESYS_TOKEN: SEED.cleanupToken }, [], dir)
  expect(run.stdout.trim()).toBe('closed')
})
