import ChatProtocol

/// One request on the control socket (`chatd ctl`): a single line of UTF-8 text, the verb and
/// its arguments separated by spaces, the last argument of `kick` and `announce` the rest of
/// the line. The reply is one JSON object on one line (`ControlReply`), then the daemon closes.
/// A line protocol rather than JSON requests: an operator can also drive it with
/// `socat - UNIX-CONNECT:/run/chatd/control`.
enum ControlRequest: Equatable, Sendable {
    case status
    case rooms
    case who(room: String)
    /// Disconnects the user from the server, telling them why.
    case kick(name: String, reason: String?)
    /// A notice to every room.
    case announce(text: String)
    /// Stop accepting connections, tell every client, let them leave (a rolling restart).
    case drain
    case reload
    /// A server ban (account `~a:NAME` or address/CIDR), for `duration` ms or for good.
    case ban(mask: String, duration: Int64?, reason: String)
    case unban(mask: String)
    case bans

    /// Longest request line accepted; anything longer is refused without being buffered.
    static let maxLineBytes = 4096

    static let usage =
        "status | rooms | who ROOM | kick NAME [REASON] | announce TEXT | drain | reload | ban MASK [TIME] [REASON] | unban MASK | bans"

    struct ParseError: Error, Equatable, CustomStringConvertible {
        let description: String
    }

    static func parse(_ line: String) throws(ParseError) -> ControlRequest {
        let trimmed = line.drop { $0 == " " }
        let verbEnd = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        let verb = trimmed[..<verbEnd].lowercased()
        let rest = String(trimmed[verbEnd...].drop { $0 == " " })
        func noArguments(_ request: ControlRequest) throws(ParseError) -> ControlRequest {
            guard rest.isEmpty else { throw ParseError(description: "usage: \(verb) (takes no arguments)") }
            return request
        }
        switch verb {
        case "status": return try noArguments(.status)
        case "rooms": return try noArguments(.rooms)
        case "drain": return try noArguments(.drain)
        case "reload": return try noArguments(.reload)
        case "bans": return try noArguments(.bans)
        case "ban":
            let parts = rest.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            guard let mask = parts.first else { throw ParseError(description: "usage: ban MASK [TIME] [REASON]") }
            if parts.count > 1, let duration = Duration.parse(parts[1]) {
                return .ban(mask: String(mask), duration: duration, reason: parts.count > 2 ? String(parts[2]) : "")
            }
            let reason = rest.dropFirst(mask.count).drop { $0 == " " }
            return .ban(mask: String(mask), duration: nil, reason: String(reason))
        case "unban":
            guard !rest.isEmpty, !rest.contains(" ") else { throw ParseError(description: "usage: unban MASK") }
            return .unban(mask: rest)
        case "who":
            guard !rest.isEmpty, !rest.contains(" ") else { throw ParseError(description: "usage: who ROOM") }
            return .who(room: rest.hasPrefix("#") ? String(rest.dropFirst()) : rest)
        case "kick":
            let nameEnd = rest.firstIndex(of: " ") ?? rest.endIndex
            let name = String(rest[..<nameEnd])
            guard !name.isEmpty else { throw ParseError(description: "usage: kick NAME [REASON]") }
            let reason = String(rest[nameEnd...].drop { $0 == " " })
            return .kick(name: name, reason: reason.isEmpty ? nil : reason)
        case "announce":
            guard !rest.isEmpty else { throw ParseError(description: "usage: announce TEXT") }
            return .announce(text: rest)
        case "":
            throw ParseError(description: "empty request; one of: \(usage)")
        default:
            throw ParseError(description: "unknown request '\(verb)'; one of: \(usage)")
        }
    }
}
