//! What an error from the Web Messaging Guest API (`endGuestConversation`)
//! carries besides its code: which kind of refusal it was.

/// Why a guest call failed, when the code alone does not say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestReason {
    /// The deployment does not let the guest clear the conversation (403
    /// "Presence events Conversation Clear are not supported").
    ClearDisabled,
    /// The socket's upgrade was refused (HTTP 403): deployment id, allowed domains, origin.
    HandshakeRefused,
    /// The server sent `ConnectionClosedEvent` before the conversation was cleared.
    ConnectionClosed,
    /// A 429 / 4029 frame.
    RateLimited,
    /// A frame we could not read, or too many frames.
    Protocol,
}

impl GuestReason {
    pub const ALL: [GuestReason; 5] = [
        GuestReason::ClearDisabled,
        GuestReason::HandshakeRefused,
        GuestReason::ConnectionClosed,
        GuestReason::RateLimited,
        GuestReason::Protocol,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GuestReason::ClearDisabled => "clearDisabled",
            GuestReason::HandshakeRefused => "handshakeRefused",
            GuestReason::ConnectionClosed => "connectionClosed",
            GuestReason::RateLimited => "rateLimited",
            GuestReason::Protocol => "protocol",
        }
    }
}

serialize_as_str!(GuestReason);
