import Testing

@testable import chatd_client

@Suite("Renderer")
struct RendererTests {
    let plain = Renderer(colors: false)
    let colored = Renderer(colors: true)
    let noon = ClockTime(hour: 12, minute: 5)

    @Test func plainMessageLayout() {
        let line = plain.render(sender: "alice", text: "hello", kind: .message, timestamp: noon, width: 0)
        #expect(line == "12:05        alice │ hello")
    }

    @Test func noEscapeSequencesWithoutColors() {
        for kind in [MessageKind.message, .action, .privateMessage, .notice, .error, .local] {
            let line = plain.render(sender: "bob", text: "x", kind: kind, timestamp: noon, width: 80, replay: true)
            #expect(!line.contains("\u{1B}"), "kind \(kind)")
        }
    }

    @Test func colorsUseStableNickPalette() {
        let line = colored.render(sender: "alice", text: "hi", kind: .message, timestamp: noon, width: 0)
        let code = Renderer.colorIndex(for: "alice")
        #expect(line.contains("\u{1B}[38;5;\(code)m"))
        #expect(line.hasSuffix("hi"))
        // Same name, same color, whatever the case; the value is fixed across runs.
        #expect(Renderer.colorIndex(for: "ALICE") == code)
        #expect(Renderer.palette.contains(code))
        let names = ["alice", "bob", "carol", "dave", "eve", "mallory", "trent", "peggy"]
        #expect(Set(names.map(Renderer.colorIndex(for:))).count > 3)
    }

    @Test func ownMessagesAreBold() {
        let line = colored.render(sender: "me", text: "hi", kind: .message, timestamp: noon, width: 0, own: true)
        #expect(line.contains("\u{1B}[1;38;5;"))
    }

    @Test func noticesAndErrorsStyledApart() {
        let notice = plain.render(sender: "*", text: "bob joined #lobby", kind: .notice, timestamp: noon, width: 0)
        #expect(notice == "12:05            * │ bob joined #lobby")
        let error = plain.render(sender: "*", text: "error: no such user", kind: .error, timestamp: noon, width: 0)
        #expect(error == "12:05            ! │ error: no such user")
        let coloredNotice = colored.render(sender: "*", text: "bob joined", kind: .notice, timestamp: noon, width: 0)
        #expect(coloredNotice.contains("\u{1B}[36m"))
        let coloredError = colored.render(sender: "*", text: "error: x", kind: .error, timestamp: noon, width: 0)
        #expect(coloredError.contains("\u{1B}[31m"))
    }

    @Test func actionsPrivateAndReplayMarked() {
        let action = plain.render(sender: "alice", text: "waves", kind: .action, timestamp: noon, width: 0)
        #expect(action == "12:05            * │ alice waves")
        let pm = plain.render(sender: "bob", text: "(private) psst", kind: .privateMessage, timestamp: noon, width: 0)
        #expect(pm == "12:05          bob » (private) psst")
        let replay = plain.render(sender: "bob", text: "old", kind: .message, timestamp: noon, width: 0, replay: true)
        #expect(replay == "hist           bob │ old")
        let dim = colored.render(sender: "bob", text: "old", kind: .message, timestamp: noon, width: 0, replay: true)
        #expect(dim.contains("\u{1B}[2m") && dim.contains("\u{1B}[2;38;5;"))
    }

    @Test func timestampsCanBeHidden() {
        var r = plain
        r.showTimestamps = false
        #expect(r.render(sender: "a", text: "b", kind: .message, timestamp: noon, width: 0) == "           a │ b")
    }

    @Test func wideNamesArePaddedByColumns() {
        // 3 CJK characters = 6 columns: 6 spaces of padding, not 9.
        let line = plain.render(sender: "山田太", text: "こんにちは", kind: .message, timestamp: noon, width: 0)
        #expect(line == "12:05       山田太 │ こんにちは")
        #expect(TextWidth.columns("12:05       山田太 │ ") == plain.prefixColumns)
    }

    @Test func combiningCharactersTakeNoColumn() {
        let decomposed = "Jose\u{301}"  // José with a combining acute accent
        #expect(TextWidth.columns(decomposed) == 4)
        let line = plain.render(sender: decomposed, text: "hola", kind: .message, timestamp: noon, width: 0)
        #expect(line == "12:05         Jose\u{301} │ hola")
        #expect(TextWidth.columns("e\u{301}\u{323}") == 1)
    }

    @Test func emojiAndJoinersAreTwoColumns() {
        #expect(TextWidth.columns("👩‍💻") == 2)
        #expect(TextWidth.columns("❤️") == 2)
        #expect(TextWidth.columns("ｗｉｄｅ") == 8)
        #expect(TextWidth.columns("한국어") == 6)
        #expect(TextWidth.columns("a\u{200B}b") == 2)
    }

    @Test func longNamesAreTruncatedToTheColumn() {
        let line = plain.render(sender: "averyveryverylongname", text: "x", kind: .message, timestamp: noon, width: 0)
        #expect(line == "12:05 averyveryve… │ x")
        let wide = TextWidth.truncate("漢字漢字漢字漢字", toColumns: 12)
        #expect(wide == "漢字漢字漢…")
        #expect(TextWidth.columns(wide) == 11)
        #expect(TextWidth.padLeft("漢字漢字漢字漢字", toColumns: 12) == " 漢字漢字漢…")
    }

    @Test func wrapsWithHangingIndent() {
        let text = "the quick brown fox jumps over the lazy dog again and again"
        let line = plain.render(sender: "al", text: text, kind: .message, timestamp: noon, width: 40)
        let rows = line.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.count > 1)
        for row in rows { #expect(TextWidth.columns(row) <= 40) }
        #expect(rows[0] == "12:05           al │ the quick brown fox")
        #expect(rows[1].hasPrefix(String(repeating: " ", count: 19) + "│ "))
        let words = rows.map { $0.split(separator: "│", maxSplits: 1)[1].dropFirst() }.joined(separator: " ")
        #expect(words == text)
    }

    @Test func wrapsWideTextByColumns() {
        let text = String(repeating: "漢", count: 30)
        let rows = Renderer.wrap(text, columns: 11)
        #expect(rows.allSatisfy { TextWidth.columns($0) <= 11 })
        #expect(rows.first == String(repeating: "漢", count: 5))
        #expect(rows.joined() == text)
    }

    @Test func controlCharactersCannotReachTheTerminal() {
        let line = plain.render(sender: "ev\u{1B}il", text: "\u{1B}[2Jboom\u{7}\u{9B}x\ttab", kind: .message,
                                timestamp: noon, width: 0)
        #expect(!line.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) })
        #expect(line.contains("ev^[il"))
        #expect(line.contains("^[[2Jboom^G\u{FFFD}x tab"))
    }

    @Test func scriptLineIsTheSeedFormat() {
        #expect(Renderer.scriptLine(sender: "alice", text: "hi there") == "alice > hi there")
        #expect(Renderer.scriptLine(sender: "*", text: "bob joined #lobby") == "* > bob joined #lobby")
    }
}

@Suite("ColorPolicy")
struct ColorPolicyTests {
    @Test func autoFollowsTerminalAndNoColor() {
        #expect(ColorPolicy.auto.enabled(stdoutIsTerminal: true, environment: [:]))
        #expect(!ColorPolicy.auto.enabled(stdoutIsTerminal: false, environment: [:]))
        #expect(!ColorPolicy.auto.enabled(stdoutIsTerminal: true, environment: ["NO_COLOR": "1"]))
        // no-color.org: an empty NO_COLOR does not disable colors.
        #expect(ColorPolicy.auto.enabled(stdoutIsTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!ColorPolicy.auto.enabled(stdoutIsTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func explicitChoicesWin() {
        #expect(ColorPolicy.always.enabled(stdoutIsTerminal: false, environment: ["NO_COLOR": "1"]))
        #expect(!ColorPolicy.never.enabled(stdoutIsTerminal: true, environment: [:]))
    }
}
