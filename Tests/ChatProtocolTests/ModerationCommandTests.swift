import ChatProtocol
import Testing

@Suite("Moderation commands and mode strings")
struct ModerationCommandTests {
    @Test(arguments: [
        ("/op bob", ChatInput.moderation(.op("bob"))),
        ("/DEOP bob ", .moderation(.deop("bob"))),
        ("/voice bob", .moderation(.voice("bob"))),
        ("/devoice bob", .moderation(.devoice("bob"))),
        ("/kick bob", .moderation(.kick("bob", reason: ""))),
        ("/kick bob  go   away ", .moderation(.kick("bob", reason: "go   away "))),
        ("/ban eve!*@*", .moderation(.ban("eve!*@*", duration: nil))),
        ("/ban 10.0.0.0/8 2h", .moderation(.ban("10.0.0.0/8", duration: 7_200_000))),
        ("/unban ~a:eve", .moderation(.unban("~a:eve"))),
        ("/bans", .moderation(.bans)),
        ("/mute bob", .moderation(.mute("bob", duration: nil))),
        ("/mute bob 5", .moderation(.mute("bob", duration: 300_000))),
        ("/mute bob 30s", .moderation(.mute("bob", duration: 30_000))),
        ("/unmute bob", .moderation(.unmute("bob"))),
        ("/topic", .moderation(.topic(nil))),
        ("/topic  Rust and  more", .moderation(.topic("Rust and  more"))),
        ("/mode", .moderation(.mode([]))),
        ("/mode +i", .moderation(.mode([ModeRequest(adding: true, letter: "i")]))),
        ("/mode +k sesame", .moderation(.mode([ModeRequest(adding: true, letter: "k", argument: "sesame")]))),
        ("/mode -k", .moderation(.mode([ModeRequest(adding: false, letter: "k")]))),
        ("/mode +m-s", .moderation(.mode([ModeRequest(adding: true, letter: "m"), ModeRequest(adding: false, letter: "s")]))),
        ("/invite bob", .moderation(.invite("bob"))),
        ("/kill bob flooding", .moderation(.kill("bob", reason: "flooding"))),
        ("/gban 192.0.2.0/24", .moderation(.gban("192.0.2.0/24", duration: nil, reason: ""))),
        ("/gban ~a:eve 1d spam bot", .moderation(.gban("~a:eve", duration: 86_400_000, reason: "spam bot"))),
        ("/gban ~a:eve spam bot", .moderation(.gban("~a:eve", duration: nil, reason: "spam bot"))),
        ("/gunban ~a:eve", .moderation(.gunban("~a:eve"))),
        ("/gbans", .moderation(.gbans)),
        ("/announce back in 5", .moderation(.announce("back in 5"))),
        ("/join rust sesame", .join(room: "rust", key: "sesame")),
    ])
    func parses(_ text: String, _ expected: ChatInput) {
        #expect(ChatCommand.parse(text) == expected)
    }

    @Test(arguments: [
        ("/op", "usage: /op NAME"), ("/op a b", "usage: /op NAME"), ("/kick", "usage: /kick NAME [REASON]"),
        ("/ban", "usage: /ban MASK [TIME]"), ("/ban a 5x", Duration.usage), ("/mute bob 0", Duration.usage),
        ("/mute bob 9999d", Duration.usage), ("/mute a b c", "usage: /mute NAME [TIME]"), ("/bans x", "usage: /bans"),
        ("/mode +q", "unknown mode 'q'"), ("/mode +k", "mode +k needs an argument"), ("/mode +o", "mode +o needs an argument"),
        ("/mode -b", "mode -b needs a mask"), ("/mode +i extra", "too many mode arguments"),
        ("/mode +ovovovo a b c d e f g", ModeString.usage), ("/announce", "usage: /announce TEXT"),
        ("/join rust a b", "usage: /join ROOM [KEY]"),
    ])
    func refuses(_ text: String, _ reason: String) {
        #expect(ChatCommand.parse(text) == .invalid(reason))
    }

    @Test func modeStringsAsIRCSendsThem() {
        #expect(ModeString.parse("+ob-v", arguments: ["bob", "eve!*@*", "carol"]) == .success([
            ModeRequest(adding: true, letter: "o", argument: "bob"), ModeRequest(adding: true, letter: "b", argument: "eve!*@*"),
            ModeRequest(adding: false, letter: "v", argument: "carol"),
        ]))
        // `b` alone is the ban list query; -k may carry the old key, which is dropped.
        #expect(ModeString.parse("b", arguments: []) == .success([ModeRequest(adding: true, letter: "b")]))
        #expect(ModeString.parse("-k", arguments: ["old"]) == .success([ModeRequest(adding: false, letter: "k")]))
        #expect(ModeString.parse("+ooooooo", arguments: Array(repeating: "x", count: 7)).failureReason
            == "at most \(ModeString.maxChanges) mode changes at once")
        if case .failure(let e) = ModeString.parse("+Z", arguments: []) { #expect(e.unknownLetter == "Z") } else { Issue.record("+Z") }
    }

    @Test func durations() {
        #expect(Duration.parse("90s") == 90_000 && Duration.parse("2H") == 7_200_000 && Duration.parse("1d") == 86_400_000)
        #expect(Duration.parse("366d") == 366 * 86_400_000 && Duration.parse("367d") == nil)
        for bad in ["", "s", "-1", "1.5m", "0s", "1w", "9999999999"] { #expect(Duration.parse(Substring(bad)) == nil, "\(bad)") }
    }

    @Test func fuzzSeedsHoldTheInvariants() {
        for input in ["\u{0}+ob-k a b c", "\u{1} x 5x", "\u{3} bob reason", "\u{9}", "\u{0}+b", "\u{0}-b", "\u{11} ~a:x 1d why"] {
            let violations = Array(input.utf8).withUnsafeBytes { ProtocolFuzzing.checkModeration($0) }
            #expect(violations.isEmpty, "\(violations)")
        }
    }
}

extension Result where Failure == ModeString.ParseError {
    var failureReason: String? { if case .failure(let e) = self { e.description } else { nil } }
}
