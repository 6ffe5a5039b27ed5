'use strict'
// What bundlers and runtimes without Node's native addons get (the `browser`,
// `worker` and edge conditions of package.json): a clear error at load time
// instead of "Could not resolve 'fs'" at build time or a crash later. The
// library needs Node.js: it is a native addon, and it holds OAuth secrets
// that must never reach a browser.

const message =
  'genesys-cleanup runs only on Node.js (it is a native addon, and it holds OAuth client secrets that must never reach a browser). ' +
  'Call it from your server. For a Node.js bundle, mark it external: esbuild --platform=node --external:genesys-cleanup, or webpack externals.'

const error = new Error(message)
error.name = 'CleanupError'
error.code = 'ERR_UNSUPPORTED_RUNTIME'
throw error
