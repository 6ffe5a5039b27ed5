// Division-scoped permissions over HTTP: a role granted only in Home passes the
// nil-id probes but not a conversation in another division. The close error,
// the bulk result and checkScopes (with and without conversationId) must say
// which divisions, and how to fix it.
import { checkScopes, closeConversation, ScopeReport } from '../index'
import { clientFor, clientOptions, contradictions, emulatorPerFile, newConversation, pathContaining, rejectionOf, requestsTo } from './helpers'
import type { EmulatorConfig } from '../testing'

const DENIED_BODIES: Array<EmulatorConfig['divisionDeniedBody']> = ['missing.permissions', 'missing.any.permissions', 'not.authorized', 'empty']

const emu = emulatorPerFile()

// Seeded ids (crates/emulator/README.md, "Seeded data").
const HOME = 'd0000000-0000-4000-8000-000000000001'
const ROLE_CLEANUP = 'a0000000-0000-4000-8000-000000000001'
const ROLE_INSPECTOR = 'a0000000-0000-4000-8000-000000000004'
const SALES = 'd5a1e500-0000-4000-8000-000000000002'
const SALES_QUEUE = 'c5a1e500-0000-4000-8000-000000000002'
const HOME_ONLY = { clientId: 'home-only', clientSecret: 'home-only-secret' }

beforeEach(async () => {
  await emu.createDivision({ id: SALES, name: 'Sales' })
  await emu.createQueue({ id: SALES_QUEUE, name: 'Sales queue', divisionId: SALES })
  // The cleanup role in Home only, as the Genesys admin UI grants it by default.
  await emu.createClient({ id: HOME_ONLY.clientId, secret: HOME_ONLY.clientSecret, roleIds: [ROLE_CLEANUP, ROLE_INSPECTOR] })
})

/** A conversation routed through the Sales queue: it belongs to Sales. */
const salesConversation = () => newConversation(emu, { queueId: SALES_QUEUE })
const state = async (id: string) => ((await emu.conversation(id)) as { state: string }).state

/** A user token for the seeded web-app client, with these role grants. */
async function userToken(roleDivisions: Array<{ roleId: string; divisionId: string }>): Promise<string> {
  const user = await emu.createUser({ name: 'Division tester', roleDivisions })
  const t = await emu.createToken({ clientId: 'web-app', userId: user.id, scopes: ['conversations'] })
  return t.accessToken
}

describe('the emulator', () => {
  test('a conversation lists its divisions; subjects/me lists grants per division', async () => {
    const id = await salesConversation()
    const headers = { authorization: 'Bearer cc-cleanup-token' }
    const conv = await (await fetch(`${emu.url}/api/v2/conversations/messages/${id}`, { headers })).json()
    expect(conv.divisions).toEqual([
      {
        division: { id: SALES, name: 'Sales', selfUri: `/api/v2/authorization/divisions/${SALES}` },
        entities: [{ id: SALES_QUEUE, selfUri: `/api/v2/routing/queues/${SALES_QUEUE}` }],
      },
    ])
    const token = await userToken([{ roleId: ROLE_CLEANUP, divisionId: '*' }])
    const me = await (await fetch(`${emu.url}/api/v2/authorization/subjects/me`, { headers: { authorization: `Bearer ${token}` } })).json()
    expect(me.grants).toHaveLength(1)
    expect(me.grants[0].division.id).toBe('*')
    expect(me.grants[0].role.policies).toContainEqual({ domain: 'conversation', entityName: 'communication', actions: ['disconnect', 'view'] })
  })

  test.each(DENIED_BODIES)(
    'answers a division miss with the configured body: %s (UNCONFIRMED which one Genesys sends)',
    async (body) => {
      await emu.configure({ divisionDeniedBody: body })
      const id = await salesConversation()
      const t = await emu.createToken({ clientId: HOME_ONLY.clientId })
      const res = await fetch(`${emu.url}/api/v2/conversations/messages/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${t.accessToken}`, 'content-type': 'application/json' },
        body: '{"state":"disconnected"}',
      })
      expect(res.status).toBe(403)
      const text = await res.text()
      if (body === 'empty') expect(text).toBe('')
      else expect(JSON.parse(text).code).toBe(body)
      // The nil id still passes the permission gate: held in some division is enough there.
      const nil = await fetch(`${emu.url}/api/v2/conversations/messages/00000000-0000-0000-0000-000000000000`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${t.accessToken}`, 'content-type': 'application/json' },
        body: '{"state":"disconnected"}',
      })
      expect(nil.status).toBe(404)
    },
  )
})

describe('closing', () => {
  test('a client holding the permission only in Home gets a typed 403 naming both divisions and the fix', async () => {
    const sales = await salesConversation()
    const e = await rejectionOf(closeConversation(sales, clientOptions(emu, HOME_ONLY)))
    expect(e).toMatchObject({
      name: 'CleanupError',
      code: 'ERR_FORBIDDEN',
      status: 403,
      genesysCode: 'not.authorized',
      conversationDivisions: [{ id: SALES, name: 'Sales' }],
      permissionDivisions: [{ id: HOME }],
    })
    expect(e.message).toContain(`belongs to division Sales (${SALES})`)
    expect(e.message).toContain(`only in division ${HOME}`)
    expect(e.message).toContain(`in division Sales (${SALES})`)
    expect(e.message).toContain("OAuth client, add the role with that division to the client's role/division pairs")
    expect(e.message).not.toContain('home-only-secret')
    expect(await state(sales)).toBe('active')
    // The same client ends a Home conversation.
    const home = await newConversation(emu)
    await expect(closeConversation(home, clientOptions(emu, HOME_ONLY))).resolves.toMatchObject({ outcome: 'closed' })
  })

  test('the four 403 bodies are handled alike', async () => {
    const seen: Array<{ code: string; genesysCode?: string; fields: unknown; advice: string }> = []
    for (const body of DENIED_BODIES) {
      await emu.configure({ divisionDeniedBody: body })
      const e = await rejectionOf(closeConversation(await salesConversation(), clientOptions(emu, HOME_ONLY)))
      seen.push({
        code: e.code,
        genesysCode: e.genesysCode,
        fields: { status: e.status, conversationDivisions: e.conversationDivisions, permissionDivisions: e.permissionDivisions },
        // The explanation, without the conversation id and the "Genesys answered" tail.
        advice: e.message.replace(/Conversation \S+ /, '').replace(/ Genesys answered.*$/, ''),
      })
    }
    expect(seen.map((s) => s.code)).toEqual(['ERR_MISSING_PERMISSION', 'ERR_MISSING_PERMISSION', 'ERR_FORBIDDEN', 'ERR_FORBIDDEN'])
    expect(seen.map((s) => s.genesysCode)).toEqual(['missing.permissions', 'missing.any.permissions', 'not.authorized', undefined])
    for (const s of seen.slice(1)) {
      expect(s.fields).toEqual(seen[0].fields)
      expect(s.advice).toBe(seen[0].advice)
    }
    expect(seen[0].fields).toEqual({ status: 403, conversationDivisions: [{ id: SALES, name: 'Sales' }], permissionDivisions: [{ id: HOME }] })
  })

  test('a bulk run explains every refused id and looks the grants up once', async () => {
    const sales = [await salesConversation(), await salesConversation(), await newConversation(emu, { divisions: [SALES] })]
    const home = await newConversation(emu)
    await emu.clearRequests()
    const client = clientFor(emu, HOME_ONLY)
    const report = await client.closeConversations([...sales, home], { concurrency: 4 })
    expect(report.results.map((r) => r.outcome)).toEqual(['failed', 'failed', 'failed', 'closed'])
    for (const r of report.results.slice(0, 3)) {
      if (r.outcome !== 'failed') throw new Error('expected a failed result')
      expect(r.error).toMatchObject({ code: 'ERR_FORBIDDEN', conversationDivisions: [{ id: SALES, name: 'Sales' }], permissionDivisions: [{ id: HOME }] })
      expect(r.error.message).toContain('Admin > Integrations > OAuth')
    }
    const log = await emu.requests()
    const count = (path: string) => log.filter((r) => r.path === path).length
    expect(count('/api/v2/tokens/me')).toBe(1)
    expect(count(`/api/v2/oauth/clients/${HOME_ONLY.clientId}`)).toBe(1)
    expect(count(`/api/v2/authorization/roles/${ROLE_CLEANUP}`)).toBe(1)
    // A second run on the same client reuses what the first one learnt.
    await client.closeConversations([await salesConversation()])
    expect(await requestsTo(emu, { path: '/api/v2/tokens/me' })).toHaveLength(1)
  })

  test("a user's grants name their divisions", async () => {
    const token = await userToken([{ roleId: ROLE_CLEANUP, divisionId: HOME }])
    const id = await salesConversation()
    await emu.clearRequests()
    const e = await rejectionOf(closeConversation(id, clientOptions(emu, { accessToken: token })))
    // Only where the grants are is read: subjects/me, not the flat users/me list.
    const paths = (await emu.requests()).map((r) => r.path)
    expect(paths.filter((p) => p === '/api/v2/authorization/subjects/me')).toHaveLength(1)
    expect(paths).not.toContain('/api/v2/users/me')
    expect(e).toMatchObject({ code: 'ERR_FORBIDDEN', permissionDivisions: [{ id: HOME, name: 'Home' }] })
    expect(e.message).toContain(`only in division Home (${HOME})`)
    expect(e.message).toContain('for a user, Admin > People > the user > Roles')
  })
})

describe('checkScopes', () => {
  const named = (r: ScopeReport, permission: string) => r.permissionDivisions?.find((h) => h.permission === permission)

  test('lists the divisions each end permission is held in, and where it can close', async () => {
    const r = await checkScopes(clientOptions(emu, HOME_ONLY))
    expect(r.canClose).toBe(true)
    // Held in Home only: the nil-id probe passes all the same.
    expect(r.checks.find((c) => c.name === 'endConversation')).toMatchObject({ ok: true, status: 404 })
    expect(named(r, 'conversation:communication:disconnect')).toEqual({
      permission: 'conversation:communication:disconnect',
      allDivisions: false,
      divisions: [{ id: HOME }],
    })
    expect(named(r, 'conversation:message:park')).toEqual({ permission: 'conversation:message:park', allDivisions: false, divisions: [] })
    expect(r.closeDivisions).toEqual([{ id: HOME }])
    expect(r.advice.join(' ')).toContain(`It can close conversations in division ${HOME} only`)
    expect(contradictions(r)).toEqual([])
  })

  test('the one-conversation diagnosis is right for a Home conversation, without writing', async () => {
    const id = await newConversation(emu)
    const r = await checkScopes(clientOptions(emu, { ...HOME_ONLY, conversationId: id }))
    expect(r.canClose).toBe(true)
    expect(r.conversation).toEqual({ conversationId: id, access: 'inReach', divisions: [{ id: HOME, name: 'Home' }], messageTypes: ['webmessaging'], canClose: true })
    expect(r.advice[0]).toContain('closeConversation can end it')
    expect(r.advice[0]).toContain('the PATCH that would end it was not tried')
    expect(contradictions(r)).toEqual([])
    expect(await state(id)).toBe('active')
    const writes = await requestsTo(emu, { notMethod: 'GET', path: pathContaining(id) })
    expect(writes).toEqual([])
  })

  test('the one-conversation diagnosis is right for a conversation in another division', async () => {
    const id = await salesConversation()
    const client = clientFor(emu, HOME_ONLY)
    const r = await client.checkScopes({ conversationId: id.toUpperCase() })
    expect(r.canClose).toBe(false)
    expect(r.conversation).toEqual({ conversationId: id, access: 'outOfReach', divisions: [{ id: SALES, name: 'Sales' }], messageTypes: ['webmessaging'], canClose: false })
    const all = r.advice.join(' ')
    expect(all).toContain(`belongs to division Sales (${SALES})`)
    expect(all).toContain(`only in division ${HOME}`)
    expect(all).toContain('the PATCH that would end it was not tried')
    expect(all).not.toContain('can end')
    expect(r.checks.find((c) => c.name === 'conversation')).toMatchObject({ ok: true, status: 200 })
    expect(contradictions(r)).toEqual([])
    expect(await state(id)).toBe('active')
    const writes = await requestsTo(emu, { notMethod: 'GET', path: pathContaining(id) })
    expect(writes).toEqual([])
    // What the diagnosis foretold is what a close meets.
    await expect(client.closeConversation(id)).rejects.toMatchObject({ status: 403, conversationDivisions: [{ id: SALES, name: 'Sales' }] })
  })

  test('a conversation that does not exist, and an invalid id', async () => {
    const r = await checkScopes(clientOptions(emu, { ...HOME_ONLY, conversationId: '3fa85f64-5717-4562-b3fc-2c963f66afa6' }))
    expect(r.conversation).toMatchObject({ access: 'notFound', divisions: [], canClose: false })
    expect(r.canClose).toBe(false)
    expect(contradictions(r)).toEqual([])
    await emu.clearRequests()
    const e = await rejectionOf(checkScopes(clientOptions(emu, { ...HOME_ONLY, conversationId: 'not-a-uuid' })))
    expect(e.code).toBe('ERR_INVALID_CONVERSATION_ID')
    expect(await emu.requests()).toEqual([])
  })

  test('a user token with a grant in all divisions passes, and closes a conversation anywhere', async () => {
    const token = await userToken([{ roleId: ROLE_CLEANUP, divisionId: '*' }])
    const id = await salesConversation()
    const r = await checkScopes(clientOptions(emu, { accessToken: token, conversationId: id }))
    expect(r.canClose).toBe(true)
    expect(r.grantType).toBe('user')
    expect(r.checks.find((c) => c.name === 'userGrants')).toMatchObject({ ok: true })
    expect(named(r, 'conversation:communication:disconnect')).toEqual({
      permission: 'conversation:communication:disconnect',
      allDivisions: true,
      divisions: [],
    })
    expect(r.closeDivisions).toEqual([{ id: '*' }])
    expect(r.conversation).toMatchObject({ access: 'inReach', canClose: true })
    expect(r.advice.join(' ')).not.toContain('only:')
    expect(contradictions(r)).toEqual([])
    await expect(closeConversation(id, clientOptions(emu, { accessToken: token }))).resolves.toMatchObject({ outcome: 'closed' })
  })

  test('a user holding the permission only in Sales still passes the nil-id probes', async () => {
    const token = await userToken([{ roleId: ROLE_CLEANUP, divisionId: SALES }])
    const r = await checkScopes(clientOptions(emu, { accessToken: token, conversationId: await newConversation(emu) }))
    expect(r.checks.find((c) => c.name === 'endConversation')).toMatchObject({ ok: true })
    expect(r.closeDivisions).toEqual([{ id: SALES, name: 'Sales' }])
    expect(r.conversation).toMatchObject({ access: 'outOfReach', divisions: [{ id: HOME, name: 'Home' }] })
    expect(r.canClose).toBe(false)
    expect(r.advice.join(' ')).toContain('only in division Sales')
    expect(contradictions(r)).toEqual([])
  })
})
