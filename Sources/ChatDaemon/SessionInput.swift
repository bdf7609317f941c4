import ChatProtocol

/// What one complete frame from a client means, decided without I/O so the rules are tested
/// directly. The hot path — a plain message from a logged-in client — is recognised from the
/// first byte and the UTF-8 check, with no String built.
enum SessionInput: Equatable, Sendable {
    case username(String)
    case badUsername(String)
    case message
    case command(ChatInput)
    case badMessage(String)

    static func classify(_ payload: UnsafeRawBufferPointer, loggedIn: Bool) -> SessionInput {
        guard loggedIn else {
            switch Names.validateUsername(payload) {
            case .success(let name): return .username(name)
            case .failure(let e): return .badUsername(e.description)
            }
        }
        guard UTF8Validation.isValid(payload) else { return .badMessage("message is not valid UTF-8") }
        if payload.isEmpty { return .badMessage("empty message") }
        if ChatCommand.isCommand(payload) {
            let text = String(decoding: payload, as: UTF8.self)
            return .command(ChatCommand.parse(text))
        }
        return .message
    }
}
