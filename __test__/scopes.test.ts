// checkScopes against the emulator: the verdict rests on what the API answers.
import { checkScopes, ScopeReport } from '../index'
import { clientFor, clientOptions, emulatorPerFile, rejectionOf, SEED } from './helpers'

const emu = emulatorPerFile()

const check = (extra: Record<string, unknown>) => checkScopes(clientOptions(emu, extra))
const checkNamed = (r: ScopeReport, name: string) => r.checks.find((c) => c.name === name)

describe('client credentials', () => {
  test('a client with the role can close', async () => {
    const r = await check(SEED.cleanupClient)
    expect(r).toMatchObject({
      canClose: true,
      grantType: 'client_credentials',
      scopesApply: false,
      missingPermissions: [],
      missingScopes: [],
      oauthClient: { id: 'cleanup-client' },
    })
    expect(r.organization?.id).toBeTruthy()
    expect(r.grantedPermissions).toContain('conversation:communication:disconnect')
    expect(checkNamed(r, 'endConversation')).toMatchObject({ ok: true, status: 404 })
    expect(r.advice.join(' ')).toMatch(/can end/)
  })

  test('a read-only client is told exactly which permission, and that scopes will not help', async () => {
    const r = await check(SEED.readonlyClient)
    expect(r.canClose).toBe(false)
    expect(r.grantType).toBe('client_credentials')
    expect(r.missingPermissions).toEqual(['conversation:communication:disconnect', 'conversation:message:park'])
    expect(r.missingScopes).toEqual([])
    expect(checkNamed(r, 'endConversation')).toMatchObject({ ok: false, status: 403, genesysCode: 'missing.any.permissions' })
    const advice = r.advice.join(' ')
    expect(advice).toContain('readonly-client')
    expect(advice).toContain('conversation:communication:disconnect')
    expect(advice).toMatch(/Scopes do not apply/)
    expect(advice).toContain('conversation:webmessaging:write')
  })

  test('without inspector permissions the verdict rests on the probes', async () => {
    const r = await check(SEED.wrapupClient)
    expect(r.grantedPermissions).toBeUndefined()
    // The per-participant fallback is allowed by conversation:participant:wrapup.
    expect(r.canClose).toBe(true)
    expect(checkNamed(r, 'endParticipant')).toMatchObject({ ok: true })
    expect(r.advice.join(' ')).toMatch(/per-participant fallback/)
  })

  test('roleDivisions in tokens/me saves the client lookup', async () => {
    await emu.configure({ tokenInfoRoleDivisions: true })
    const r = await check({ accessToken: SEED.cleanupToken })
    expect(r.canClose).toBe(true)
    expect(r.checks.map((c) => c.name)).not.toContain('clientRoles')
    await emu.configure({ tokenInfoRoleDivisions: false })
    const r2 = await check({ accessToken: SEED.cleanupToken })
    expect(r2.checks.map((c) => c.name)).toContain('clientRoles')
    expect(r2.requests).toBeGreaterThan(r.requests)
  })
})

describe('user tokens', () => {
  test('a user with role and scope can close', async () => {
    const r = await check({ accessToken: SEED.userToken })
    expect(r).toMatchObject({ canClose: true, grantType: 'user', scopesApply: true, missingScopes: [], missingPermissions: [] })
    expect(r.scopes).toContain('conversations')
    expect(r.grantedPermissions).toContain('conversation:communication:disconnect')
  })

  test('a user with the role but only conversations:readonly is missing the scope', async () => {
    const r = await check({ accessToken: SEED.userNoScopeToken })
    expect(r.canClose).toBe(false)
    expect(r.missingScopes).toEqual(['conversations'])
    expect(r.missingPermissions).toEqual([])
    expect(r.advice.join(' ')).toMatch(/Add the scope conversations/)
  })

  test('a user without the role permission is missing the permission', async () => {
    const r = await check({ accessToken: SEED.userReadonlyToken })
    expect(r.canClose).toBe(false)
    expect(r.missingPermissions).toContain('conversation:communication:disconnect')
    expect(r.advice.join(' ')).toMatch(/Grant the user who signed in a role/)
  })

  test('when the organisation does not enforce scopes, the API decides', async () => {
    await emu.configure({ enforceScopes: false })
    const r = await check({ accessToken: SEED.userNoScopeToken })
    expect(r.canClose).toBe(true)
    expect(r.missingScopes).toEqual(['conversations'])
    expect(r.advice.join(' ')).toMatch(/does not seem to enforce scopes/)
  })
})

test('an invalid token rejects with ERR_UNAUTHORIZED', async () => {
  const e = await rejectionOf(check({ accessToken: 'bogus' }))
  expect(e).toMatchObject({ code: 'ERR_UNAUTHORIZED', status: 401 })
})

test('probes have no side effects and use only real endpoints', async () => {
  const id = (await emu.createConversation({})).id
  await emu.clearRequests()
  await clientFor(emu).checkScopes()
  const log = await emu.requests()
  expect(log.some((l) => l.path === '/api/v2/tokens/me')).toBe(true)
  for (const l of log) {
    expect(l.path).not.toMatch(/webmessaging|oauth\/tokens\/self/)
  }
  expect((await emu.conversation(id)).participants[0].state).toBe('connected')
})

describe('one conversation (issue 24)', () => {
  test('a token that can end nothing anywhere: the conversation is outOfReach, not unknown', async () => {
    const c = await emu.createConversation({})
    const r = await check({ ...SEED.readonlyClient, conversationId: c.id })
    expect(r.canClose).toBe(false)
    expect(r.conversation).toMatchObject({ conversationId: c.id, access: 'outOfReach', canClose: false })
    expect(r.advice[0]).toMatch(/holds no permission that ends conversations in any division .* would refuse to end it with 403/)
    // What the diagnosis foretold is what a close meets.
    await expect(clientFor(emu, SEED.readonlyClient).closeConversation(c.id)).rejects.toMatchObject({ status: 403 })
  })

  test('a WhatsApp conversation in reach is reported as skipped by type, as a close would skip it', async () => {
    const c = await emu.createConversation({ type: 'whatsapp' })
    const r = await check({ ...SEED.cleanupClient, conversationId: c.id })
    expect(r.conversation).toMatchObject({ access: 'inReach', messageTypes: ['whatsapp'], skipReason: 'messageType', canClose: false })
    expect(r.canClose).toBe(false)
    expect(r.advice[0]).toMatch(/It is a whatsapp conversation, so closeConversation skips it \(skipReason 'messageType'\) unless messageTypes includes 'whatsapp'/)
    expect(r.advice.join(' ')).not.toContain('closeConversation can end it')
    const client = clientFor(emu, SEED.cleanupClient)
    await expect(client.closeConversation(c.id)).resolves.toMatchObject({ outcome: 'skipped', skipReason: 'messageType' })
    // A web messaging one carries no skipReason.
    const web = await emu.createConversation({})
    const ok = await check({ ...SEED.cleanupClient, conversationId: web.id })
    expect(ok.conversation).toEqual({ conversationId: web.id, access: 'inReach', divisions: [{ id: 'd0000000-0000-4000-8000-000000000001', name: 'Home' }], messageTypes: ['webmessaging'], canClose: true })
  })
})
