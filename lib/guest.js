'use strict'
// endGuestConversation: the guest's side of ending a conversation (the
// core's guest/). One native GuestCall per call holds its events; what is
// still buffered is delivered before the promise settles, as for a client.

const binding = require('./native.js')
const { rejectsWith } = require('./errors.js')
const { eventListener, deliver, deliveredBefore } = require('./events.js')
const { optionsObject } = require('./options.js')
const { withSignal } = require('./signal.js')

function endGuestConversation(options) {
  return rejectsWith(() => {
    const opts = optionsObject(options)
    const listener = eventListener(opts)
    const call = new binding.GuestCall(listener && ((batch) => deliver(batch, listener)))
    return deliveredBefore(
      withSignal(opts.signal, (cancel) => call.end(opts, cancel)),
      call,
      listener,
    )
  })
}

module.exports = { endGuestConversation }
