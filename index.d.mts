// Types of the ESM entry (index.mjs). index.mjs re-exports the CommonJS
// entry's objects, so these re-export index.d.ts: one `CleanupError` type for
// both entries, and the default export is the CommonJS `module.exports`.
import cjs from './index.js'

export * from './index.js'
export default cjs
