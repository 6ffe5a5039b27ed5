// Network fixtures for the TLS and proxy tests: a private CA made with openssl,
// a TLS terminator in front of the emulator (an https Genesys stand-in), and a
// loopback CONNECT proxy that records everything it is sent.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import * as http from 'node:http'
import * as net from 'node:net'
import * as os from 'node:os'
import * as path from 'node:path'
import * as tls from 'node:tls'

export interface Pki {
  dir: string
  caFile: string
  caPem: string
  key: string
  cert: string
}

/** A CA and a server certificate for 127.0.0.1/localhost, signed by it. */
export function makePki(): Pki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gc-pki-'))
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  writeFileSync(path.join(dir, 'ext.cnf'), 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=genesys-cleanup test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'])
  run(['req', ...ec, '-keyout', 'srv.key', '-out', 'srv.csr', '-subj', '/CN=localhost'])
  run(['x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'srv.pem', '-days', '2', '-extfile', 'ext.cnf'])
  const read = (f: string) => readFileSync(path.join(dir, f), 'utf8')
  return { dir, caFile: path.join(dir, 'ca.pem'), caPem: read('ca.pem'), key: read('srv.key'), cert: read('srv.pem') }
}

export interface Listening {
  url: string
  port: number
  close(): Promise<void>
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)))
}

function closer(server: net.Server, sockets: Set<net.Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })
}

/** https://127.0.0.1:PORT terminating TLS with the test CA's certificate, forwarding to `target` (http). */
export async function tlsFront(pki: Pki, target: string): Promise<Listening> {
  const { hostname, port } = new URL(target)
  const sockets = new Set<net.Socket>()
  const server = tls.createServer({ key: pki.key, cert: pki.cert }, (client) => {
    const upstream = net.connect(Number(port), hostname)
    sockets.add(client).add(upstream)
    client.pipe(upstream).pipe(client)
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  server.on('tlsClientError', () => {})
  const p = await listen(server)
  return { url: `https://127.0.0.1:${p}`, port: p, close: closer(server, sockets) }
}

export interface Proxy extends Listening {
  /** Request lines the proxy received (`CONNECT 127.0.0.1:443 HTTP/1.1`, or a plain `GET http://...`). */
  requestLines: string[]
  /** Every byte clients sent the proxy, tunnels included. */
  seen(): string
}

/** A loopback forward proxy: CONNECT tunnels, and plain requests refused (recorded). */
export async function connectProxy(): Promise<Proxy> {
  const chunks: Buffer[] = []
  const requestLines: string[] = []
  const sockets = new Set<net.Socket>()
  const server = http.createServer((req, res) => {
    // A plain (non-CONNECT) request through the proxy would expose its headers.
    requestLines.push(`${req.method} ${req.url} HTTP/${req.httpVersion}`)
    chunks.push(Buffer.from(JSON.stringify(req.headers)))
    res.writeHead(502).end()
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('data', (d) => chunks.push(Buffer.from(d)))
  })
  server.on('connect', (req, client, head) => {
    requestLines.push(`CONNECT ${req.url} HTTP/${req.httpVersion}`)
    chunks.push(Buffer.from(JSON.stringify(req.headers)))
    const [host, port] = String(req.url).split(':')
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length) upstream.write(head)
      client.pipe(upstream).pipe(client)
    })
    client.on('data', (d) => chunks.push(Buffer.from(d)))
    sockets.add(client as net.Socket).add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
    }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
  })
  const p = await listen(server)
  return {
    url: `http://127.0.0.1:${p}`,
    port: p,
    requestLines,
    seen: () => Buffer.concat(chunks).toString('latin1'),
    close: closer(server, sockets),
  }
}

export interface ChildResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node -e script` with `env` added (and the given variables removed). */
export function runNode(script: string, env: Record<string, string | undefined>, args: string[] = [], cwd?: string): Promise<ChildResult> {
  const full: NodeJS.ProcessEnv = { ...process.env }
  for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy', 'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'DEBUG']) delete full[k]
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete full[k]
  else full[k] = v
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...args, '-e', script], { env: full, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

export const ROOT = path.resolve(__dirname, '..')

/**
 * The js block after `<!-- snippet: NAME -->` in README.md or a page of docs/
 * (the reference pages the README links), runnable from this checkout.
 */
export function readmeSnippet(name: string): string {
  const marker = `<!-- snippet: ${name} -->`
  const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)]
  const holders = pages.filter((p) => readFileSync(path.join(ROOT, p), 'utf8').includes(marker))
  if (holders.length !== 1) throw new Error(`snippet ${name} must be in exactly one of README.md and docs/*.md, found in [${holders.join(', ')}]`)
  const text = readFileSync(path.join(ROOT, holders[0]), 'utf8')
  const block = text.slice(text.indexOf(marker)).match(/```js\n([\s\S]*?)```/)
  if (!block) throw new Error(`snippet ${name} has no js block`)
  return block[1].replace(/require\('genesys-cleanup(\/[a-z]+)?'\)/g, (_m, sub) => `require(${JSON.stringify(ROOT + (sub ?? ''))})`)
}
