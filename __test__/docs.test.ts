// The documentation holds together: every relative link in README.md and
// docs/ (contributing pages included) points at a file that exists, and every
// #anchor at a heading of that file, as GitHub renders it; a page that ships
// in the npm package links only to files that ship too (the README's pointers
// into docs/contributing/ excepted: they are for the repository); every
// reference page is linked from the README; and the README stays a short guide.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

const ROOT = path.join(__dirname, '..')
const README_MAX_LINES = 450

/** Markdown files under docs/, relative to ROOT, with forward slashes. */
function docPages(dir = 'docs'): string[] {
  const out: string[] = []
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`
    if (entry.isDirectory()) out.push(...docPages(rel))
    else if (entry.name.endsWith('.md')) out.push(rel)
  }
  return out.sort()
}

const PAGES = ['README.md', ...docPages()]

/** The text outside fenced code blocks and code spans: links in code are not links. */
function prose(markdown: string): string {
  return markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/``[^`]*``|`[^`\n]*`/g, '')
}

interface Link {
  page: string
  target: string
}

/** Inline links `[text](target)`, images, and reference definitions `[x]: target`. */
function links(page: string): Link[] {
  const text = prose(fs.readFileSync(path.join(ROOT, page), 'utf8'))
  const out: Link[] = []
  for (const m of text.matchAll(/\]\(\s*<?([^()\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ page, target: m[1] })
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) out.push({ page, target: m[1] })
  return out
}

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target)

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]*>/g, '')
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-')
}

/** Every anchor a page offers (repeated headings get -1, -2, ... as on GitHub). */
function anchors(page: string): Set<string> {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8').replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = slug(m[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  for (const m of text.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1])
  return out
}

/** Where a link leads: the file (relative to ROOT, forward slashes) and the anchor, if any. */
function resolve({ page, target }: Link): { file: string; anchor?: string } {
  const hash = target.indexOf('#')
  const pathPart = hash < 0 ? target : target.slice(0, hash)
  const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1))
  const file = pathPart === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), decodeURI(pathPart)))
  return { file: file.replace(/\/$/, ''), anchor }
}

/** What the npm package holds (npm pack --dry-run). */
function shippedFiles(): Set<string> {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', shell: process.platform === 'win32' })
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed: ${r.stderr}`)
  return new Set(JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path))
}

describe('documentation', () => {
  const all = PAGES.flatMap(links).filter((l) => !isExternal(l.target))

  test('README.md and docs/ have relative links to check', () => {
    expect(all.length).toBeGreaterThan(20)
    expect(PAGES).toContain('docs/emulator.md')
  })

  test('every relative link points at a file that exists', () => {
    const broken = all.filter((l) => {
      const { file } = resolve(l)
      return file.startsWith('..') || !fs.existsSync(path.join(ROOT, file))
    })
    expect(broken).toEqual([])
  })

  test('every #anchor points at a heading of its page', () => {
    const cache = new Map<string, Set<string>>()
    const broken = all.filter((l) => {
      const { file, anchor } = resolve(l)
      if (anchor === undefined || !file.endsWith('.md') || !fs.existsSync(path.join(ROOT, file))) return false
      if (!cache.has(file)) cache.set(file, anchors(file))
      return !cache.get(file)!.has(anchor)
    })
    expect(broken).toEqual([])
  })

  test('a shipped page links only to shipped files (the README may point into docs/contributing/)', () => {
    const shipped = shippedFiles()
    const pages = PAGES.filter((p) => shipped.has(p))
    expect(pages).toContain('README.md')
    const leaks = all.filter((l) => {
      if (!shipped.has(l.page)) return false
      const { file } = resolve(l)
      if (l.page === 'README.md' && file.startsWith('docs/contributing/')) return false
      return !shipped.has(file) && ![...shipped].some((f) => f.startsWith(`${file}/`))
    })
    expect(leaks).toEqual([])
    // The pages for contributors do not ship.
    expect([...shipped].filter((f) => f.startsWith('docs/contributing/'))).toEqual([])
  })

  test('the README links every reference page and the contributor pages', () => {
    const linked = new Set(links('README.md').map((l) => resolve(l).file))
    const missing = docPages().filter((p) => !p.startsWith('docs/contributing/') && !linked.has(p))
    expect(missing).toEqual([])
    expect(linked).toContain('docs/contributing/architecture.md')
    expect(linked).toContain('docs/contributing/development.md')
  })

  test(`the README is a short guide (at most ${README_MAX_LINES} lines)`, () => {
    const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length
    expect(lines).toBeLessThanOrEqual(README_MAX_LINES)
  })

  test('the link checker itself: slugs, anchors and resolution', () => {
    expect(slug('Getting 403 when closing a web messaging conversation?')).toBe('getting-403-when-closing-a-web-messaging-conversation')
    expect(slug('"check says yes, but some conversations still answer 403": divisions')).toBe('check-says-yes-but-some-conversations-still-answer-403-divisions')
    expect(slug('Watching: `client.watch`')).toBe('watching-clientwatch')
    expect(slug('Is the emulator right? Run the conformance suite against your org')).toBe('is-the-emulator-right-run-the-conformance-suite-against-your-org')
    expect(resolve({ page: 'docs/errors.md', target: 'rate-limits.md#retries' })).toEqual({ file: 'docs/rate-limits.md', anchor: 'retries' })
    expect(resolve({ page: 'docs/contributing/x.md', target: '../../README.md' })).toEqual({ file: 'README.md', anchor: undefined })
    expect(resolve({ page: 'README.md', target: '#watch-mode' })).toEqual({ file: 'README.md', anchor: 'watch-mode' })
    expect(links('README.md').some((l) => l.target === 'docs/errors.md')).toBe(true)
    expect(prose('a `[x](nowhere.md)` b\n```\n[y](nowhere.md)\n```\n[z](here.md)')).not.toContain('nowhere')
    expect(anchors('README.md')).toContain('testing-your-service')
  })
})
