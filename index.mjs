// ESM entry: the same objects as the CommonJS entry (one native addon instance).
import cjs from './index.js'

export const { closeConversation, checkScopes, queueTimers, setQueueInactivity, endGuestConversation, CleanupClient, CleanupError, isCleanupError, ERROR_CODES, regions } = cjs
export default cjs
