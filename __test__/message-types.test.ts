// `messageTypes` holds Genesys's message types: a typo is refused with
// ERR_INVALID_ARGUMENT before any request, by every call that takes the
// option, unless `allowUnknownMessageTypes` opts in to a type this version
// does not know. (The type-level half is in types-usage.ts.)
import { closeConversation, isCleanupError, type MessageType } from '../index'
import { clientFor, clientOptions, emulatorPerFile, newConversation } from './helpers'

const emu = emulatorPerFile()

async function refusal(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  const e: unknown = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  if (!isCleanupError(e)) throw new Error(`expected a CleanupError, got ${String(e)}`)
  return { code: e.code, message: e.message }
}

const TYPO = ['webmessaging', 'webmesaging'] as MessageType[]

describe('an unknown message type', () => {
  test('is refused by every call that takes messageTypes, naming the entry and the choices; nothing is sent', async () => {
    const client = clientFor(emu)
    const id = await newConversation(emu)
    const calls: Array<[string, Promise<unknown>]> = [
      ['closeConversation', closeConversation(id, clientOptions(emu, { messageTypes: TYPO }))],
      ['client.closeConversation', client.closeConversation(id, { messageTypes: TYPO })],
      ['closeConversations', client.closeConversations([id], { messageTypes: TYPO })],
      ['findIdleConversations', client.findIdleConversations({ idleForMs: 60_000, messageTypes: TYPO })],
      ['sweep', client.sweep({ idleForMs: 60_000, messageTypes: TYPO })],
      ['watch', client.watch({ idleMs: 60_000, messageTypes: TYPO })],
    ]
    for (const [name, call] of calls) {
      const e = await refusal(call)
      expect({ name, code: e.code }).toEqual({ name, code: 'ERR_INVALID_ARGUMENT' })
      expect(e.message).toMatch(/^messageTypes\[1\] is not a Genesys message type: expected one of 'webmessaging', 'open', /)
      expect(e.message).toContain('allowUnknownMessageTypes: true')
    }
    expect(await emu.requests()).toEqual([])
    expect((await emu.conversation(id)).state).toBe('active')
  })

  test('is spelt as Genesys spells it: no case folding', async () => {
    const e = await refusal(closeConversation('6f1f6b2e-0000-4000-8000-00000000000a', clientOptions(emu, { messageTypes: ['WebMessaging' as MessageType] })))
    expect(e.code).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('allowUnknownMessageTypes', () => {
  test('lets a type this version does not know through, and it filters like any other', async () => {
    const id = await newConversation(emu, { type: 'webmessaging' })
    // A web messaging conversation is not of the (future) type asked for: skipped, untouched.
    const r = await closeConversation(id, clientOptions(emu, { messageTypes: ['applebusinesschat' as MessageType], allowUnknownMessageTypes: true }))
    expect(r).toMatchObject({ outcome: 'skipped', skipReason: 'messageType' })
    expect((await emu.conversation(id)).state).toBe('active')
  })

  test('a known type other than the default widens what may be ended', async () => {
    const id = await newConversation(emu, { type: 'whatsapp' })
    const r = await closeConversation(id, clientOptions(emu, { messageTypes: ['webmessaging', 'whatsapp'] }))
    expect(r.outcome).toBe('closed')
  })
})
