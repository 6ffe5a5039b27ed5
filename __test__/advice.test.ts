// checkScopes over HTTP for every seeded client and token of the emulator: the
// checks are the ones the core's table tests (crates/core/src/diagnose/tests.rs)
// build by hand, and no advice sentence contradicts a check.
import { checkScopes } from '../index'
import { clientOptions, contradictions, emulatorPerFile, SEED } from './helpers'

const emu = emulatorPerFile()

const roles = (rd: boolean, without: string, withRoles: string) => (rd ? withRoles : without)
const cases: [string, Record<string, string>, (rd: boolean) => string][] = [
  ['cleanup-client', SEED.cleanupClient, (rd) => roles(rd, 'tokenInfo+ clientRoles+ rolePermissions+', 'tokenInfo+ rolePermissions+') + ' readConversation+ endConversation+ listQueues+'],
  ['cc-cleanup-token', { accessToken: SEED.cleanupToken }, (rd) => roles(rd, 'tokenInfo+ clientRoles+ rolePermissions+', 'tokenInfo+ rolePermissions+') + ' readConversation+ endConversation+ listQueues+'],
  ['readonly-client', SEED.readonlyClient, (rd) => roles(rd, 'tokenInfo+ clientRoles+ rolePermissions+', 'tokenInfo+ rolePermissions+') + ' readConversation+ endConversation- endParticipant- listQueues-'],
  ['cc-readonly-token', { accessToken: SEED.readonlyToken }, (rd) => roles(rd, 'tokenInfo+ clientRoles+ rolePermissions+', 'tokenInfo+ rolePermissions+') + ' readConversation+ endConversation- endParticipant- listQueues-'],
  ['wrapup-client', SEED.wrapupClient, (rd) => roles(rd, 'tokenInfo+ clientRoles-', 'tokenInfo+ rolePermissions-') + ' readConversation+ endConversation- endParticipant+ listQueues-'],
  ['cc-wrapup-token', { accessToken: SEED.wrapupToken }, (rd) => roles(rd, 'tokenInfo+ clientRoles-', 'tokenInfo+ rolePermissions-') + ' readConversation+ endConversation- endParticipant+ listQueues-'],
  ['bare-client', SEED.bareClient, () => 'tokenInfo+ clientRoles- readConversation+ endConversation- endParticipant- listQueues-'],
  ['user-cleanup-token', { accessToken: SEED.userToken }, () => 'tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation+ listQueues+'],
  ['user-noscope-token', { accessToken: SEED.userNoScopeToken }, () => 'tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation- endParticipant- listQueues+'],
  ['user-readonly-token', { accessToken: SEED.userReadonlyToken }, () => 'tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation- endParticipant- listQueues-'],
]

describe.each([false, true])('roleDivisions in tokens/me: %s', (rd) => {
  test.each(cases)('%s: the checks of the core table tests, and advice that never contradicts them', async (_name, credentials, checks) => {
    await emu.configure({ tokenInfoRoleDivisions: rd })
    const r = await checkScopes(clientOptions(emu, credentials))
    expect(r.checks.map((c) => `${c.name}${c.ok ? '+' : '-'}`).join(' ')).toBe(checks(rd))
    expect(contradictions(r)).toEqual([])
  })
})

test('without scope enforcement, user-noscope-token can close and advice still agrees with the checks', async () => {
  await emu.configure({ enforceScopes: false })
  const r = await checkScopes(clientOptions(emu, { accessToken: SEED.userNoScopeToken }))
  expect(r.checks.map((c) => `${c.name}${c.ok ? '+' : '-'}`).join(' ')).toBe('tokenInfo+ userPermissions+ userGrants+ readConversation+ endConversation+ listQueues+')
  expect(contradictions(r)).toEqual([])
})

test('the circulating answer only where a role permission is missing, never for a missing scope', async () => {
  const scope = await checkScopes(clientOptions(emu, { accessToken: SEED.userNoScopeToken }))
  expect(scope.advice.join(' ')).not.toContain('conversation:webmessaging:write')
  const permission = await checkScopes(clientOptions(emu, { accessToken: SEED.userReadonlyToken }))
  expect(permission.advice.filter((a) => a.includes('conversation:webmessaging:write'))).toHaveLength(1)
})
