'use strict'
// Every behaviour of Genesys Cloud that genesys-cleanup relies on, stated as
// a check that runs over plain HTTP against any Platform API: the bundled
// emulator, or a real org. Each is tagged DOCUMENTED (with where Genesys says
// so) or UNCONFIRMED (the library handles every answer; the check records
// which one this server gives, and "differs" means it is not the emulator's).
//
// A check returns { result: 'pass' | 'differs' | 'could not check',
// observed, expected? }. Read-only unless `ctx.writes` (then only on the one
// conversation the user named). The guest check runs only with a deployment
// and a guest token the user named; it never sends Clear.

const NIL = '00000000-0000-0000-0000-000000000000'
const MSG = (id) => `/api/v2/conversations/messages/${id}`
const ERROR_401_CODES = ['authentication.required', 'bad.credentials', 'credentials.expired', 'unauthorized', 'ip.not.authorized']
const MISSING = ['missing.permissions', 'missing.any.permissions', 'not.authorized']
const QUEUES = '/api/v2/routing/queues'
const DEPLOYMENTS = '/api/v2/webdeployments'
const ACTION_TYPES = ['DISCONNECT', 'SEND_TO_ARCHITECT_FLOW']
const GUEST_WAIT_MS = 10_000
const configJsonPath = (id) => `/webdeployments/v1/deployments/${id}/config.json`
const { openSocket } = require('./http')

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
    id: 'queues.listingMediaSettings',
    tag: 'UNCONFIRMED',
    source: 'Whether GET /api/v2/routing/queues carries each queue\'s mediaSettings (the library reads each queue alone when it does not)',
    expectedFromEmulator: 'present',
    async run(ctx) {
      const r = await ctx.api('GET', `${QUEUES}?pageSize=25&pageNumber=1`)
      if (r.status === 403) return cannot(`403 ${errorShape(r.json)}: the token lacks routing:queue:view`)
      const entities = (r.json && Array.isArray(r.json.entities) && r.json.entities) || []
      if (r.status !== 200 || !entities.length) return cannot(`the listing answered ${r.status} with ${entities.length} queues`)
      const observed = entities.some((q) => q && q.mediaSettings && q.mediaSettings.message) ? 'present' : 'absent'
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'queues.listingMatchesGet',
    tag: 'UNCONFIRMED',
    source: 'The listing\'s message media settings are those of GET /api/v2/routing/queues/{id} (the library reads the timer from the listing)',
    expectedFromEmulator: 'agree',
    async run(ctx) {
      const r = await ctx.api('GET', `${QUEUES}?pageSize=25&pageNumber=1`)
      const entities = (r.status === 200 && r.json && Array.isArray(r.json.entities) && r.json.entities) || []
      const listed = entities.filter((q) => q && typeof q.id === 'string' && q.mediaSettings && q.mediaSettings.message).slice(0, 3)
      if (!listed.length) return cannot(r.status === 200 ? 'the listing carries no mediaSettings to compare' : `the listing answered ${r.status}`)
      let differ = 0
      for (const q of listed) {
        const one = await ctx.api('GET', `${QUEUES}/${q.id}`)
        if (one.status !== 200) return cannot(`GET of a listed queue answered ${one.status}`)
        if (JSON.stringify(timerFields(q)) !== JSON.stringify(timerFields(one.json))) differ++
      }
      const observed = differ ? `differ on ${differ} of ${listed.length} queues` : 'agree'
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'deployment.configurationVersion',
    tag: 'DOCUMENTED',
    source: 'WebDeploymentsApi: GET webdeployments/deployments/{id} -> configuration {id, version}; GET configurations/{cid}/versions/{version} -> messenger.apps.conversations',
    async run(ctx) {
      if (!ctx.deploymentId) return cannot('no deployment given (--deployment <id>)')
      const d = await ctx.api('GET', `${DEPLOYMENTS}/deployments/${ctx.deploymentId}`)
      if (d.status === 403) return cannot(`403 ${errorShape(d.json)}: the token lacks webDeployments:deployment:view`)
      const conf = (d.json && d.json.configuration) || {}
      if (d.status !== 200 || typeof conf.id !== 'string' || typeof conf.version !== 'string') {
        return differs(`${d.status}, configuration.id ${typeof conf.id}, configuration.version ${typeof conf.version}`, '200 with configuration.id and configuration.version (strings)')
      }
      const v = await ctx.api('GET', `${DEPLOYMENTS}/configurations/${conf.id}/versions/${encodeURIComponent(conf.version)}`)
      if (v.status === 403) return cannot(`403 ${errorShape(v.json)}: the token lacks webDeployments:configuration:view`)
      const shape = conversationsShape(v.json)
      return check(v.status === 200 && shape.ok, `deployment ${d.json.status}; version ${v.status}, ${shape.observed}`, `version 200 with ${shape.expected}`)
    },
  },
  {
    id: 'deployment.activeConfiguration',
    tag: 'DOCUMENTED',
    source: 'WebDeploymentsApi: GET webdeployments/deployments/{id}/configurations ("Requires NO permissions") -> {configurationVersion, deployment}',
    async run(ctx) {
      if (!ctx.deploymentId) return cannot('no deployment given (--deployment <id>)')
      const r = await ctx.api('GET', `${DEPLOYMENTS}/deployments/${ctx.deploymentId}/configurations`)
      const b = r.json || {}
      const shape = conversationsShape(b.configurationVersion)
      const ok = r.status === 200 && b.deployment && b.deployment.id === ctx.deploymentId && typeof (b.configurationVersion || {}).version === 'string' && shape.ok
      return check(ok, `${r.status}, deployment ${b.deployment ? (b.deployment.id === ctx.deploymentId ? 'the one asked' : 'another') : 'absent'}, ${shape.observed}`, `200 with deployment.id and configurationVersion.version, ${shape.expected}`)
    },
  },
  {
    id: 'deployment.configJson',
    tag: 'DOCUMENTED',
    source: 'Messenger transport SDK (Urls.kt, DeploymentConfig): public GET https://api-cdn.{domain}/webdeployments/v1/deployments/{id}/config.json, no Authorization',
    async run(ctx) {
      if (!ctx.deploymentId) return cannot('no deployment given (--deployment <id>)')
      const r = await ctx.publicGet(configJsonPath(ctx.deploymentId))
      const b = r.json || {}
      const conv = (((b.messenger || {}).apps || {}).conversations) || {}
      const fields = { id: typeof b.id, version: typeof b.version, apiEndpoint: typeof b.apiEndpoint, messagingEndpoint: typeof conv.messagingEndpoint, status: typeof b.status }
      const ok = r.status === 200 && Object.values(fields).every((t) => t === 'string') && typeof (conv.conversationClear || {}).enabled === 'boolean'
      const seen = Object.entries(fields).map(([k, t]) => `${k} ${t}`).join(', ')
      return check(ok, `${r.status}, ${seen}, conversationClear.enabled ${typeof (conv.conversationClear || {}).enabled}`, '200 with id, version, apiEndpoint, messenger.apps.conversations.messagingEndpoint, status (strings) and conversationClear.enabled (boolean)')
    },
  },
  {
    id: 'deployment.configJsonSessionDuration',
    tag: 'UNCONFIRMED',
    source: 'Whether config.json carries messenger.apps.conversations.sessionDurationSeconds when the deployment sets one (the library reads the configuration version first)',
    expectedFromEmulator: 'absent',
    async run(ctx) {
      if (!ctx.deploymentId) return cannot('no deployment given (--deployment <id>)')
      const a = await ctx.api('GET', `${DEPLOYMENTS}/deployments/${ctx.deploymentId}/configurations`)
      const set = conversationsOf(a.json && a.json.configurationVersion).sessionDurationSeconds
      if (a.status !== 200) return cannot(`the active configuration answered ${a.status}`)
      if (typeof set !== 'number') return cannot('the deployment sets no session duration')
      const r = await ctx.publicGet(configJsonPath(ctx.deploymentId))
      if (r.status !== 200) return cannot(`config.json answered ${r.status}`)
      const observed = typeof conversationsOf(r.json).sessionDurationSeconds === 'number' ? 'present' : 'absent'
      return check(observed === this.expectedFromEmulator, observed, this.expectedFromEmulator)
    },
  },
  {
    id: 'guest.configureAndEcho',
    tag: 'DOCUMENTED',
    source: 'Guest API (Messenger transport SDK): configureSession -> SessionResponse {connected, newSession, readOnly}; echo -> a 200 StructuredMessage with its tracingId',
    async run(ctx) {
      if (!ctx.guest) return cannot('not asked for (--guest-deployment <id> with GENESYS_GUEST_TOKEN)')
      return guestCheck(ctx)
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

/** The inactivity timer's fields of a queue: the two switches and the settings. */
function timerFields(queue) {
  const m = (queue && queue.mediaSettings && queue.mediaSettings.message) || {}
  const sub = (m.subTypeSettings && m.subTypeSettings.webmessaging) || {}
  return { top: m.enableInactivityTimeout, webmessaging: sub.enableInactivityTimeout, settings: m.inactivityTimeoutSettings }
}

const conversationsOf = (v) => (((v && v.messenger) || {}).apps || {}).conversations || {}

/** Whether a configuration version carries the settings the library reads, with the documented types. */
function conversationsShape(version) {
  const c = conversationsOf(version)
  const clear = typeof (c.conversationClear || {}).enabled
  const disc = c.conversationDisconnect
  const discOk = disc === undefined || (typeof disc.enabled === 'boolean' && (disc.type === undefined || typeof disc.type === 'string'))
  const durOk = c.sessionDurationSeconds === undefined || typeof c.sessionDurationSeconds === 'number'
  return {
    ok: clear === 'boolean' && discOk && durOk && typeof (version || {}).version === 'string',
    observed: `conversationClear.enabled ${clear}, conversationDisconnect ${disc === undefined ? 'absent' : discOk ? '{enabled, type}' : 'malformed'}, sessionDurationSeconds ${c.sessionDurationSeconds === undefined ? 'absent' : typeof c.sessionDurationSeconds}`,
    expected: 'conversationClear.enabled (boolean), conversationDisconnect {enabled: boolean, type?} and sessionDurationSeconds (number) where present',
  }
}

/**
 * configureSession with the user's token, then echo; the socket is then
 * closed. A token the server did not know made a new session (and no
 * conversation): it is closed again with closeSession. Clear is never sent.
 * The token goes into the frames only: never into an observation.
 */
async function guestCheck(ctx) {
  const { deploymentId, token } = ctx.guest
  let socket
  try {
    socket = await openSocket(`${ctx.endpoints.guest}/v1?deploymentId=${encodeURIComponent(deploymentId)}`, GUEST_WAIT_MS)
  } catch (e) {
    return cannot(`the Guest API socket did not open: ${e.message}`)
  }
  const answer = async (tracingId) => {
    for (;;) {
      const text = await socket.next(GUEST_WAIT_MS)
      if (text === null) return null
      let f
      try {
        f = JSON.parse(text)
      } catch {
        continue
      }
      if (f && f.type === 'response' && (f.tracingId === undefined || f.tracingId === tracingId)) return f
    }
  }
  try {
    socket.send(JSON.stringify({ action: 'configureSession', token, deploymentId, startNew: false, tracingId: 'conformance-configure' }))
    const s = await answer('conformance-configure')
    if (!s) return cannot('no answer to configureSession')
    if (s.code === 4006 || s.code === 4007) return cannot(`configureSession answered ${s.code} (${s.code === 4006 ? 'session expired' : 'session not found'})`)
    const b = s.body || {}
    const sessionOk = s.class === 'SessionResponse' && s.code === 200 && b.connected === true && typeof b.newSession === 'boolean' && typeof b.readOnly === 'boolean'
    socket.send(JSON.stringify({ action: 'echo', token, tracingId: 'conformance-echo', message: { type: 'Text', text: 'ping' } }))
    const e = await answer('conformance-echo')
    const echoOk = !!e && e.code === 200 && e.class === 'StructuredMessage' && e.tracingId === 'conformance-echo'
    if (sessionOk && b.newSession) {
      socket.send(JSON.stringify({ action: 'closeSession', token, closeAllConnections: true, tracingId: 'conformance-close' }))
      await answer('conformance-close')
    }
    const observed = `configureSession ${s.code} ${s.class}, connected ${b.connected}, newSession ${b.newSession}, readOnly ${b.readOnly}; echo ${e ? `${e.code} ${e.class}, tracingId ${e.tracingId === 'conformance-echo' ? 'echoed' : 'not echoed'}` : 'unanswered'}`
    return check(sessionOk && echoOk, observed, 'SessionResponse 200 {connected: true, newSession, readOnly}; echo 200 StructuredMessage with its tracingId')
  } finally {
    socket.close()
  }
}

function ended(conversation) {
  const ps = (conversation && conversation.participants) || []
  return ps.length > 0 && ps.every((p) => p.state === 'disconnected' || p.state === 'terminated')
}

module.exports = { CHECKS, NIL }
