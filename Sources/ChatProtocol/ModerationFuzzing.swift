/// The moderation command parsers under the fuzzer (`Fuzz/harness/moderation.swift`), like
/// `ProtocolFuzzing`: `check…` returns the violated invariants, `fuzz…` traps on one.
extension ProtocolFuzzing {
    public static func fuzzModeration(_ data: UnsafeRawBufferPointer) { FuzzInvariants.trap(checkModeration(data)) }

    /// Byte 0 picks the input's shape: a mode string with space-separated arguments, or a
    /// moderation command line (`/` + a command name from the list + the rest). Invariants: no
    /// trap; a parsed mode list has at most `ModeString.maxChanges` known letters, every
    /// argument-taking change but a `b` query and `-k` has its argument, and parsing is
    /// deterministic; a parsed command's names are single non-empty tokens and its durations
    /// within a year.
    public static func checkModeration(_ data: UnsafeRawBufferPointer) -> [String] {
        var inv = FuzzInvariants()
        guard let selector = data.first else { return [] }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: data[1...]), as: UTF8.self)
        if selector & 1 == 0 {
            let parts = text.split(separator: " ").map(String.init)
            let modes = parts.first ?? ""
            let arguments = Array(parts.dropFirst())
            let result = ModeString.parse(modes, arguments: arguments)
            inv.require(result == ModeString.parse(modes, arguments: arguments), "mode parsing is not deterministic")
            if case .success(let changes) = result {
                inv.require(changes.count <= ModeString.maxChanges)
                inv.require(changes.count(where: { $0.argument != nil }) <= arguments.count)
                for c in changes {
                    inv.require(ModeString.known.contains(c.letter))
                    let needs = "ov".contains(c.letter) || (c.letter == "k" && c.adding) || (c.letter == "b" && !c.adding)
                    inv.require(!needs || c.argument != nil, "mode \(c.letter) without its argument")
                    inv.require(c.argument == nil || "bovk".contains(c.letter))
                }
            }
        } else {
            let names = ["op", "deop", "voice", "devoice", "kick", "ban", "unban", "bans", "mute", "unmute", "topic", "mode",
                         "invite", "kill", "gban", "gunban", "gbans", "announce"]
            let line = "/" + names[Int(selector >> 1) % names.count] + text
            if case .moderation(let command) = ChatCommand.parse(line) { checkModeration(command, &inv) }
        }
        return inv.violations
    }

    static func checkModeration(_ command: ModerationCommand, _ inv: inout FuzzInvariants) {
        func token(_ s: String) { inv.require(!s.isEmpty && !s.utf8.contains(where: ASCII.isWhitespace), "not a single token: \(s)") }
        func duration(_ d: Int64?) { inv.require(d.map { $0 > 0 && $0 <= Duration.maxMilliseconds } ?? true) }
        switch command {
        case .op(let n), .deop(let n), .voice(let n), .devoice(let n), .unban(let n), .unmute(let n), .invite(let n),
             .gunban(let n):
            token(n)
        case .kick(let n, _), .kill(let n, _): token(n)
        case .ban(let n, let d), .mute(let n, let d): token(n); duration(d)
        case .gban(let n, let d, _): token(n); duration(d)
        case .mode(let changes): inv.require(changes.count <= ModeString.maxChanges)
        case .topic(let t): inv.require(t.map { !$0.isEmpty } ?? true)
        case .announce(let t): inv.require(!t.isEmpty)
        case .bans, .gbans: break
        }
    }
}
