// The ESM face of browser.js (the `browser`, `worker`, `workerd` and
// `edge-light` conditions' `import`): loading it throws the same error.
import './browser.js'
