/// Connection registration as a pure state machine (Modern IRC "Connection Registration",
/// IRCv3 "Capability Negotiation"). The session feeds it every parsed message until it
/// reports `.registered`, performs the actions it returns in order, and answers each
/// `.claimNick` with `claimResult` before feeding the next message.
///
/// - `CAP LS [302]` / `CAP REQ` suspend registration until `CAP END`; REQ is all or
///   nothing (one ACK or one NAK echoing the request); LIST shows enabled caps.
/// - `PASS` is ignored unless a password is configured; then a missing or wrong one gets
///   464 and ERROR when registration would complete.
/// - `NICK` is checked against IRC's rules (432/431 here); whether the nick is free and
///   valid for chatd is the caller's answer to `.claimNick`, asked once NICK, USER, CAP
///   END and PASS are all in (433 or 432 on refusal; the client then sends another NICK).
/// - `PING` is answered, `PONG` ignored, `QUIT` closes, anything else gets 451.
public struct IRCRegistration: Sendable {
    public struct Configuration: Sendable {
        public var server: String
        public var capabilities: [IRCCapability]
        /// nil: PASS is accepted and ignored.
        public var password: String?
        public var maxNickBytes: Int

        public init(
            server: String, capabilities: [IRCCapability] = IRCCapability.chatdDefaults, password: String? = nil,
            maxNickBytes: Int = 32
        ) {
            self.server = server
            self.capabilities = capabilities
            self.password = password
            self.maxNickBytes = maxNickBytes
        }
    }

    public enum Action: Sendable, Equatable {
        case send(IRCMessage)
        /// Reserve this nick (chatd's rules and uniqueness); answer with `claimResult`.
        case claimNick(String)
        /// Registration is complete: send the welcome burst and hand over to the session.
        case registered(IRCRegistered)
        /// Send this ERROR line, then close the connection.
        case close(IRCMessage)
    }

    /// The caller's answer to `.claimNick`.
    public enum ClaimResult: Sendable, Equatable {
        case granted
        case inUse
        /// Not acceptable to chatd (its username rules): 432.
        case erroneous
    }

    public let configuration: Configuration
    public private(set) var nick: String?
    public private(set) var user: String?
    public private(set) var realname: String?
    public private(set) var password: String?
    public private(set) var capabilities: Set<String> = []
    /// 0 before any CAP LS, 301 for `CAP LS`, 302 for `CAP LS 302` (or higher).
    public private(set) var capVersion = 0
    /// CAP LS or REQ seen and no CAP END yet.
    public private(set) var negotiating = false
    /// The nick asked for in the last `.claimNick`, until answered.
    public private(set) var pendingClaim: String?
    public private(set) var isRegistered = false

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    var reply: IRCReply { IRCReply(server: configuration.server, client: nick ?? "*") }

    public mutating func handle(_ message: IRCMessage) -> [Action] {
        if isRegistered {
            // The session owns the connection now. It may keep routing CAP here (LS, LIST
            // and REQ work the same after registration; END is a no-op) and PASS/USER, which
            // get 462 (Modern IRC, ERR_ALREADYREGISTERED); everything else returns nothing.
            if message.isCommand("CAP") { return cap(message) }
            return message.isCommand("PASS") || message.isCommand("USER") ? [.send(reply.alreadyRegistered())] : []
        }
        switch message.verb {
        case "CAP": return cap(message)
        case "NICK": return nick(message)
        case "USER": return user(message)
        case "PASS":
            guard let first = message.params.first else { return [.send(reply.needMoreParams("PASS"))] }
            password = first
            return []
        case "PING":
            guard let token = message.params.first, !token.isEmpty else { return [.send(reply.noOrigin())] }
            return [.send(reply.pong(token: token))]
        case "PONG":
            return []
        case "QUIT":
            let reason = message.params.first.map { "Quit: " + $0 } ?? "Client Quit"
            return [.close(reply.error("Closing Link: \(nick ?? "*") (\(reason))"))]
        default:
            return [.send(reply.notRegistered())]
        }
    }

    /// The caller's answer to `.claimNick(nick)`, due before the next `handle`. An answer for
    /// a nick that is not the pending claim is ignored.
    public mutating func claimResult(_ result: ClaimResult, for claimed: String) -> [Action] {
        guard pendingClaim == claimed, !isRegistered else { return [] }
        pendingClaim = nil
        switch result {
        case .granted:
            isRegistered = true
            return [.registered(IRCRegistered(
                nick: claimed, user: user ?? "user", realname: realname ?? "", capabilities: capabilities,
                capVersion: capVersion))]
        case .inUse:
            nick = nil
            return [.send(reply.nicknameInUse(claimed))]
        case .erroneous:
            nick = nil
            return [.send(reply.erroneousNickname(claimed))]
        }
    }

    /// After registration the session handles NICK; it reports the new nick here so CAP
    /// replies it still routes through `handle` address the client by its current nick.
    public mutating func renamed(to newNick: String) {
        guard isRegistered else { return }
        nick = newNick
    }

    // MARK: - Commands

    mutating func nick(_ message: IRCMessage) -> [Action] {
        guard let wanted = message.params.first, !wanted.isEmpty else { return [.send(reply.noNicknameGiven())] }
        guard case .success = IRCNames.validateNick(wanted, maxBytes: configuration.maxNickBytes) else {
            return [.send(reply.erroneousNickname(wanted))]
        }
        nick = wanted
        return tryComplete()
    }

    mutating func user(_ message: IRCMessage) -> [Action] {
        guard message.params.count >= 4, !message.params[0].isEmpty else { return [.send(reply.needMoreParams("USER"))] }
        user = IRCNames.sanitizeUser(message.params[0])
        realname = message.params[3]
        return tryComplete()
    }

    mutating func cap(_ message: IRCMessage) -> [Action] {
        guard let sub = message.params.first else { return [.send(reply.needMoreParams("CAP"))] }
        switch sub.uppercased() {
        case "LS":
            negotiating = !isRegistered
            capVersion = max(capVersion, 301)  // LS without a version means 301
            if message.params.count > 1, let version = Int(message.params[1]), version >= 302 {
                capVersion = max(capVersion, 302)
                // 302 implies cap-notify (Capability Negotiation, "cap-notify").
                if configuration.capabilities.contains(where: { $0.name == "cap-notify" }) { capabilities.insert("cap-notify") }
            }
            return capLS().map { .send($0) }
        case "LIST":
            return [.send(capReply("LIST", capabilities.sorted().joined(separator: " ")))]
        case "REQ":
            negotiating = !isRegistered
            let request = message.params.count > 1 ? message.params[1] : ""
            return [.send(capRequest(request))]
        case "END":
            negotiating = false
            return isRegistered ? [] : tryComplete()
        default:
            return [.send(reply.invalidCapCommand(sub))]
        }
    }

    /// `CAP <nick|*> LS :caps`; for 302 clients, long lists continue on lines marked `*`.
    func capLS() -> [IRCMessage] {
        let words = configuration.capabilities.map { cap in
            if capVersion >= 302, let value = cap.value { cap.name + "=" + value } else { cap.name }
        }
        // ":" server " CAP " nick " LS * :" — the room left for the list on one line.
        let room = IRCLimits.maxBodyBytes - (1 + configuration.server.utf8.count + 5 + (nick ?? "*").utf8.count + 7)
        var lines: [String] = []
        var current = ""
        for word in words {
            if !current.isEmpty, current.utf8.count + 1 + word.utf8.count > room, capVersion >= 302 {
                lines.append(current)
                current = ""
            }
            current += current.isEmpty ? word : " " + word
        }
        lines.append(current)
        return lines.enumerated().map { index, list in
            index < lines.count - 1
                ? IRCMessage(source: configuration.server, command: "CAP", params: [nick ?? "*", "LS", "*", list])
                : capReply("LS", list)
        }
    }

    /// All or nothing: every name must be offered (a '-' prefix disables it); then one ACK
    /// echoing the request, else one NAK echoing it.
    mutating func capRequest(_ request: String) -> IRCMessage {
        let names = request.split(separator: " ")
        var enable: [String] = []
        var disable: [String] = []
        for name in names {
            let disabling = name.hasPrefix("-")
            let bare = String(disabling ? name.dropFirst() : name)
            guard configuration.capabilities.contains(where: { $0.name == bare }) else {
                return capReply("NAK", request)
            }
            if disabling { disable.append(bare) } else { enable.append(bare) }
        }
        let ack = IRCMessage(source: configuration.server, command: "CAP", params: [nick ?? "*", "ACK", request])
        // An ACK must echo the whole request; one too long to echo is refused (its NAK
        // is cut to fit, which no real client's request ever needs).
        if names.isEmpty || IRCReply.bodyLength(ack) > IRCLimits.maxBodyBytes { return capReply("NAK", request) }
        capabilities.formUnion(enable)
        capabilities.subtract(disable)
        return ack
    }

    func capReply(_ sub: String, _ list: String) -> IRCMessage {
        IRCReply.fitted(IRCMessage(source: configuration.server, command: "CAP", params: [nick ?? "*", sub, list]))
    }

    /// Ready once NICK and USER are in and CAP negotiation is closed: check the password,
    /// then ask the caller for the nick.
    mutating func tryComplete() -> [Action] {
        guard let nick, user != nil, !negotiating, pendingClaim == nil else { return [] }
        if let expected = configuration.password, !Self.constantTimeEquals(password ?? "", expected) {
            return [.send(reply.passwordMismatch()), .close(reply.error("Closing Link: \(nick) (Bad Password)"))]
        }
        pendingClaim = nick
        return [.claimNick(nick)]
    }

    /// Compares without an early exit, so response time does not reveal how much of a
    /// guessed password was right.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference: UInt8 = x.count == y.count ? 0 : 1
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
