/// Where a CHATHISTORY request points (IRCv3 `draft/chathistory`, "Message references").
public enum IRCMessageReference: Sendable, Equatable {
    /// `*`: no bound (LATEST only).
    case unbounded
    /// `msgid=ID`: a message the server tagged with this `msgid`.
    case msgid(String)
    /// `timestamp=YYYY-MM-DDThh:mm:ss.sssZ`, as milliseconds since the Unix epoch.
    case timestamp(Int64)
}

/// A parsed `CHATHISTORY` command (IRCv3 `draft/chathistory`):
///
///     CHATHISTORY BEFORE|AFTER|AROUND <target> <reference> <limit>
///     CHATHISTORY LATEST <target> <* | reference> <limit>
///     CHATHISTORY BETWEEN <target> <reference> <reference> <limit>
///
/// TARGETS (the conversations active in a time range) is not offered: it gets UNKNOWN_COMMAND.
/// Parsing only checks the shape; what the target and references name is the server's business.
public struct IRCChatHistoryRequest: Sendable, Equatable {
    public enum Subcommand: String, Sendable, CaseIterable {
        case before = "BEFORE", after = "AFTER", latest = "LATEST", around = "AROUND", between = "BETWEEN"
    }

    public var subcommand: Subcommand
    /// A channel or a nickname.
    public var target: String
    public var reference: IRCMessageReference
    /// BETWEEN's second reference.
    public var secondReference: IRCMessageReference?
    /// As asked (at least 1); the server caps it at its CHATHISTORY limit.
    public var limit: Int

    public init(
        _ subcommand: Subcommand, target: String, reference: IRCMessageReference, secondReference: IRCMessageReference? = nil,
        limit: Int
    ) {
        self.subcommand = subcommand
        self.target = target
        self.reference = reference
        self.secondReference = secondReference
        self.limit = limit
    }

    /// A standard reply the request earns instead of a batch: `FAIL CHATHISTORY <code> <context…> :<text>`
    /// (IRCv3 standard replies; the codes are the chathistory spec's).
    public struct Failure: Error, Sendable, Equatable {
        public var code: String
        public var context: [String]
        public var text: String

        public init(_ code: String, _ context: [String], _ text: String) {
            self.code = code
            self.context = context
            self.text = text
        }

        /// The FAIL line from `server`.
        public func message(server: String) -> IRCMessage {
            IRCMessage(source: server, command: "FAIL", params: ["CHATHISTORY", code] + context + [text])
        }
    }

    /// Parses the parameters of a CHATHISTORY command.
    public static func parse(_ params: [String]) -> Result<IRCChatHistoryRequest, Failure> {
        guard let name = params.first, !name.isEmpty else {
            return .failure(Failure("NEED_MORE_PARAMS", ["*"], "Missing parameters"))
        }
        guard let sub = Subcommand(rawValue: name.uppercased()) else {
            return .failure(Failure("UNKNOWN_COMMAND", [String(name.prefix(32))], "Unknown command"))
        }
        let needed = sub == .between ? 5 : 4
        guard params.count >= needed else { return .failure(Failure("NEED_MORE_PARAMS", [sub.rawValue], "Missing parameters")) }
        let invalid = Failure("INVALID_PARAMS", [sub.rawValue], "Invalid parameters")
        // Modern IRC allows at most 15 parameters; anything past the limit is a malformed request.
        guard params.count == needed, let limit = Int(params[needed - 1]), limit > 0 else { return .failure(invalid) }
        let target = params[1]
        guard !target.isEmpty, let first = reference(params[2]) else { return .failure(invalid) }
        if first == .unbounded && sub != .latest { return .failure(invalid) }
        var second: IRCMessageReference?
        if sub == .between {
            guard let r = reference(params[3]), r != .unbounded else { return .failure(invalid) }
            second = r
        }
        return .success(IRCChatHistoryRequest(sub, target: target, reference: first, secondReference: second, limit: limit))
    }

    /// `*`, `msgid=…` or `timestamp=…`; nil for anything else.
    static func reference(_ text: String) -> IRCMessageReference? {
        if text == "*" { return .unbounded }
        guard let eq = text.firstIndex(of: "=") else { return nil }
        let value = String(text[text.index(after: eq)...])
        switch text[..<eq] {
        case "msgid": return value.isEmpty || value.utf8.count > 64 ? nil : .msgid(value)
        case "timestamp": return IRCServerTime.parse(value).map(IRCMessageReference.timestamp)
        default: return nil
        }
    }
}
