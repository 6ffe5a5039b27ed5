'use strict'
// Every behaviour of Genesys Cloud that genesys-cleanup relies on, stated as
// a check that runs over plain HTTP against any Platform API: the bundled
// emulator, or a real org. Each is tagged DOCUMENTED (with where Genesys says
// so) or UNCONFIRMED (the library handles every answer; the check records
// which one this server gives, and "differs" means it is not the emulator's).
//
// A check returns { result: 'pass' | 'differs' | 'could not check',
// observed, expected? }. Read-only unless `ctx.writes` (then only on the one
// conversation the user named).

const NIL = '00000000-0000-0000-0000-000000000000'
const MSG = (id) => `/api/v2/conversations/messages/${id}`
const ERROR_401_CODES = ['authentication.required', 'bad.credentials', 'credentials.expired', 'unauthorized', 'ip.not.authorized']
const MISSING = ['missing.permissions', 'missing.any.permissions', 'not.authorized']

const pass = (observed) => ({ result: 'pass', observed })
const differs = (observed, expected) => ({ result: 'differs', observed, expected })
const cannot = (why) => ({ result: 'could not check', observed: why })
const check = (ok, observed, expected) => (ok ? pass(observed) : differs(observed, expected))

/** The fields of a Genesys ErrorBody the library reads. */
function errorShape(body) {
  if (!body || typeof body !== 'object') return 'no JSON body'
  return `status ${body.status}, code ${body.code}`
}

const CHECKS = [
  {
    id: 'token.clientCredentials',
    tag: 'DOCUMENTED',
    source: 'OAuth client credentials: POST /oauth/token, grant_type=client_credentials',
    async run(ctx) {
      if (!ctx.credentials.clientId) return cannot('no client credentials given (GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET)')
      const r = await ctx.token(ctx.credentials.clientId, ctx.credentials.clientSecret)
      const b = r.json
      const ok = r.status === 200 && b && typeof b.access_token === 'string' && /^bearer$/i.test(b.token_type) && typeof b.expires_in === 'number'
      return check(ok, `${r.status}, token_type ${b && b.token_type}, expires_in ${b && typeof b.expires_in}`, '200 {access_token, token_type: bearer, expires_in: number}')
    },
  },
  {
    id: 'token.badSecret',
    tag: 'DOCUMENTED',
    source: 'OAuth errors: {error, description, error_description}',
    async run(ctx) {
      if (!ctx.credentials.clientId) return cannot('no client id given')
      const r = await ctx.token(ctx.credentials.clientId, 'not-the-secret')
      const b = r.json
      const ok = r.status >= 400 && r.status < 500 && b && typeof b.error === 'string'
      return check(ok, `${r.status}, error ${b && b.error}`, '4xx with an OAuth error body {error: ...}')
    },
  },
  {
    id: 'api.badToken',
    tag: 'DOCUMENTED',
    source: 'Errors: 401 codes authentication.required, bad.credentials, credentials.expired, ...',
    async run(ctx) {
      const r = await ctx.api('GET', '/api/v2/tokens/me', undefined, 'not-a-valid-token')
      const ok = r.status === 401 && r.json && ERROR_401_CODES.includes(r.json.code)
      return check(ok, `${r.status}, ${errorShape(r.json)}`, `401 with one of ${ERROR_401_CODES.join(', ')}`)
    },
  },
  {
    id: 'tokensMe.fields',
    tag: 'DOCUMENTED',
    source: 'GET /api/v2/tokens/me -> TokenInfo: organization, OAuthClient {id, authorizedGrantType}',
    async run(ctx) {
      const r = await ctx.api('GET', '/api/v2/tokens/me')
      const b = r.json || {}
      const client = b.OAuthClient || {}
      const ok = r.status === 200 && b.organization && typeof b.organization.id === 'string' && typeof client.id === 'string' && typeof client.authorizedGrantType === 'string'
      return check(ok, `${r.status}, organization ${b.organization ? 'present' : 'absent'}, OAuthClient.authorizedGrantType ${client.authorizedGrantType}`, '200 with organization.id, OAuthClient.id, OAuthClient.authorizedGrantType')
    },
  },
  {
    id: 'tokensMe.roleDivisions',
    tag: 'UNCONFIRMED',
    source: 'Whether tokens/me fills OAuthClient.roleDivisions (the library falls back to GET /api/v2/oauth/clients/{id})',
    expectedFromEmulator: 'absent',
    async run(ctx) {
      const r = await ctx.api('GET', '/api/v2/tokens/me')
      if (r.status !== 200) return cannot(`tokens/me answered ${r.status}`)
      const client = (r.json && r.json.OAuthClient) || {}
      if (client.authorizedGrantType !== 'CLIENT-CREDENTIALS') return cannot('not a client-credentials token')
      const observed = Array.isArray(client.roleDivisions) ? 'present' : 'absent'
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'headers.correlationId',
    tag: 'DOCUMENTED',
    source: 'Errors: ININ-Correlation-Id on every response',
    async run(ctx) {
      const ok = await ctx.api('GET', '/api/v2/tokens/me')
      const bad = await ctx.api('GET', MSG(NIL))
      const seen = [ok, bad].map((r) => `${r.status}: ${r.headers['inin-correlation-id'] ? 'present' : 'absent'}`)
      return check([ok, bad].every((r) => r.headers['inin-correlation-id']), seen.join(', '), 'present on every answer')
    },
  },
  {
    id: 'headers.rateLimit',
    tag: 'DOCUMENTED',
    source: 'Rate limits: inin-ratelimit-count, -allowed, -reset on every response',
    async run(ctx) {
      const r = await ctx.api('GET', '/api/v2/tokens/me')
      const names = ['inin-ratelimit-count', 'inin-ratelimit-allowed', 'inin-ratelimit-reset']
      const missing = names.filter((n) => r.headers[n] === undefined)
      return check(missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : 'all three present', 'all three present')
    },
  },
  {
    id: 'headers.rateLimitCounts',
    tag: 'DOCUMENTED',
    source: 'Rate limits: inin-ratelimit-count counts the token\'s requests in the window, out of inin-ratelimit-allowed',
    async run(ctx) {
      const a = await ctx.api('GET', '/api/v2/tokens/me')
      const b = await ctx.api('GET', '/api/v2/tokens/me')
      const n = (r, h) => Number(r.headers[h])
      if ([a, b].some((r) => r.headers['inin-ratelimit-count'] === undefined)) return cannot('no inin-ratelimit-count header')
      // Another user of the token can only add to the count; a turned window resets it.
      const turned = n(b, 'inin-ratelimit-count') < n(a, 'inin-ratelimit-count')
      const counted = n(b, 'inin-ratelimit-count') >= n(a, 'inin-ratelimit-count') + 1
      const ok = (counted || turned) && n(a, 'inin-ratelimit-allowed') === n(b, 'inin-ratelimit-allowed') && n(a, 'inin-ratelimit-allowed') > 0
      return check(ok, `count ${n(a, 'inin-ratelimit-count')} then ${n(b, 'inin-ratelimit-count')}, allowed ${n(a, 'inin-ratelimit-allowed')} then ${n(b, 'inin-ratelimit-allowed')}`, 'the count rises by at least one per request (or the window turned), allowed stays the same')
    },
  },
  {
    id: 'headers.rateLimitResetIsWhole',
    tag: 'UNCONFIRMED',
    source: 'How inin-ratelimit-reset is rounded (the library treats it as an upper bound either way)',
    expectedFromEmulator: 'whole seconds',
    async run(ctx) {
      const r = await ctx.api('GET', '/api/v2/tokens/me')
      const v = r.headers['inin-ratelimit-reset']
      if (v === undefined) return cannot('no inin-ratelimit-reset header')
      const observed = /^\d+$/.test(v.trim()) ? 'whole seconds' : 'fractional seconds'
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'probe.nilRead',
    tag: 'DOCUMENTED',
    source: 'Reading state: GET messages/{id}; side-effect-free probe with the nil UUID -> 404 not.found',
    async run(ctx) {
      const r = await ctx.api('GET', MSG(NIL))
      const ok = r.status === 404 && r.json && r.json.code === 'not.found' && typeof r.json.message === 'string'
      return check(ok, `${r.status}, ${errorShape(r.json)}`, '404 not.found with a message')
    },
  },
  {
    id: 'probe.nilPatch',
    tag: 'DOCUMENTED',
    source: 'Who may do what: a PATCH on the nil UUID is 404 not.found when the permission is held, 403 missing.(any.)permissions when not',
    async run(ctx) {
      const r = await ctx.api('PATCH', MSG(NIL), { state: 'disconnected' })
      const code = r.json && r.json.code
      const ok = (r.status === 404 && code === 'not.found') || (r.status === 403 && MISSING.includes(code))
      return check(ok, `${r.status}, ${errorShape(r.json)}`, '404 not.found, or 403 missing.permissions / missing.any.permissions')
    },
  },
  {
    id: 'invented.webmessagingDelete',
    tag: 'DOCUMENTED',
    source: 'Claims that circulate but are false: DELETE /api/v2/conversations/webmessaging/{id} does not exist',
    async run(ctx) {
      const r = await ctx.api('DELETE', `/api/v2/conversations/webmessaging/${NIL}`)
      return check(r.status === 404, `${r.status}, ${errorShape(r.json)}`, '404: no such endpoint')
    },
  },
  {
    id: 'analytics.tinyPage',
    tag: 'DOCUMENTED',
    source: 'Finding conversations: POST /api/v2/analytics/conversations/details/query -> {conversations?, totalHits}',
    async run(ctx) {
      const end = new Date()
      const start = new Date(end.getTime() - 3600_000)
      const r = await ctx.api('POST', '/api/v2/analytics/conversations/details/query', {
        interval: `${start.toISOString()}/${end.toISOString()}`,
        order: 'asc',
        orderBy: 'conversationStart',
        paging: { pageSize: 1, pageNumber: 1 },
      })
      if (r.status === 403) return cannot(`403 ${errorShape(r.json)}: the token may not read analytics`)
      const b = r.json || {}
      const ok = r.status === 200 && (b.conversations === undefined || Array.isArray(b.conversations)) && (b.totalHits === undefined || typeof b.totalHits === 'number')
      return check(ok, `${r.status}, conversations ${Array.isArray(b.conversations) ? 'an array' : typeof b.conversations}, totalHits ${typeof b.totalHits}`, '200 {conversations?: [...], totalHits?: number}')
    },
  },
  {
    id: 'scope.userTokenWithoutScope',
    tag: 'UNCONFIRMED',
    source: 'The error code of a missing OAuth scope (documented message: App not authorized to use scope [...])',
    expectedFromEmulator: '403 app.not.authorized.for.scope',
    async run(ctx) {
      if (!ctx.credentials.userTokenWithoutScope) return cannot('no user token without the conversations scope given (GENESYS_USER_TOKEN_WITHOUT_SCOPE)')
      const r = await ctx.api('PATCH', MSG(NIL), { state: 'disconnected' }, ctx.credentials.userTokenWithoutScope)
      const observed = `${r.status} ${r.json && r.json.code}`
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'write.patchEnds',
    tag: 'DOCUMENTED',
    source: 'Ending: PATCH messages/{id} {"state":"disconnected"} -> 200; ended when every participant is disconnected or terminated',
    writes: true,
    async run(ctx) {
      const id = ctx.conversationId
      const before = await ctx.api('GET', MSG(id))
      if (before.status !== 200) return cannot(`GET of the named conversation answered ${before.status}`)
      if (ended(before.json)) return cannot('the named conversation has already ended')
      const r = await ctx.api('PATCH', MSG(id), { state: 'disconnected' })
      const after = await ctx.api('GET', MSG(id))
      const ok = r.status === 200 && after.status === 200 && ended(after.json)
      return check(ok, `PATCH ${r.status}; afterwards ${ended(after.json) ? 'every participant ended' : 'not ended'}`, 'PATCH 200, then every participant disconnected or terminated')
    },
  },
  {
    id: 'write.patchOnEnded',
    tag: 'UNCONFIRMED',
    source: 'What a PATCH on an ended conversation answers (the library treats 200 and 409 alike: already closed)',
    writes: true,
    expectedFromEmulator: '200',
    async run(ctx) {
      const id = ctx.conversationId
      const now = await ctx.api('GET', MSG(id))
      if (now.status !== 200 || !ended(now.json)) return cannot('the named conversation has not ended (write.patchEnds first)')
      const r = await ctx.api('PATCH', MSG(id), { state: 'disconnected' })
      const observed = r.status === 409 ? `409 ${r.json && r.json.code}` : String(r.status)
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
]

function ended(conversation) {
  const ps = (conversation && conversation.participants) || []
  return ps.length > 0 && ps.every((p) => p.state === 'disconnected' || p.state === 'terminated')
}

module.exports = { CHECKS, NIL }
