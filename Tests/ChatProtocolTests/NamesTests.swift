import ChatProtocol
import Testing

@Suite("Names")
struct NamesTests {
    static func username(_ text: String) -> Result<String, NameError> { Names.validateUsername(text) }

    static func username(bytes input: [UInt8]) -> Result<String, NameError> {
        withBytes(input) { Names.validateUsername($0) }
    }

    @Test("length is 1–32 bytes")
    func lengthLimits() {
        #expect(Self.username("a") == .success("a"))
        #expect(Self.username(String(repeating: "a", count: 32)) == .success(String(repeating: "a", count: 32)))
        #expect(Self.username("") == .failure(.empty))
        #expect(Self.username(String(repeating: "a", count: 33)) == .failure(.tooLong(33)))
        #expect(Self.username(bytes: []) == .failure(.empty))
    }

    @Test("multi-byte names are counted in bytes")
    func bytesNotCharacters() {
        let sixteenE = String(repeating: "é", count: 16)  // 32 bytes
        #expect(Self.username(sixteenE) == .success(sixteenE))
        #expect(Self.username(sixteenE + "a") == .failure(.tooLong(33)))
        #expect(Self.username(String(repeating: "日", count: 11)) == .failure(.tooLong(33)))
        let eightEmoji = String(repeating: "😀", count: 8)
        #expect(Self.username(eightEmoji) == .success(eightEmoji))
        #expect(Self.username(bytes: bytes(eightEmoji) + bytes("x")) == .failure(.tooLong(33)))
    }

    @Test("reserved first characters", arguments: [("*x", "*"), ("#x", "#"), ("/x", "/"), ("*", "*")])
    func reservedPrefix(name: String, prefix: Character) {
        #expect(Self.username(name) == .failure(.reservedPrefix(prefix)))
        #expect(Self.username(bytes: bytes(name)) == .failure(.reservedPrefix(prefix)))
    }

    @Test("reserved characters later in the name are fine")
    func reservedLater() {
        #expect(Self.username("a*#/") == .success("a*#/"))
    }

    @Test(
        "whitespace, control and invisible characters are rejected",
        arguments: [
            "a b", "a\tb", "a\nb", "a\rb", " a", "a ", "a\0b", "a\u{7F}", "a\u{1B}[31m", "a\u{85}b", "a\u{A0}b",
            "a\u{2028}b", "a\u{2029}b", "a\u{3000}b", "a\u{200B}b", "\u{202E}abc", "\u{FEFF}a", "\u{3164}",
            "\u{200D}a", "\u{FE0F}a", "a\u{AD}b", "a\u{FFFF}",
        ])
    func rejectsInvisible(name: String) {
        #expect(Self.username(name) == .failure(.whitespaceOrControl))
        #expect(Self.username(bytes: bytes(name)) == .failure(.whitespaceOrControl))
    }

    @Test("printable Unicode names are accepted", arguments: ["Zoë", "日本", "👩‍💻", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "e\u{301}", "Ωmega", "a-b_c.d"])
    func acceptsPrintable(name: String) {
        #expect(Self.username(name) == .success(name))
        #expect(Self.username(bytes: bytes(name)) == .success(name))
    }

    @Test("invalid UTF-8 is rejected", arguments: [[0xFF], [0x61, 0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xE2]])
    func rejectsInvalidUTF8(input: [UInt8]) {
        #expect(Self.username(bytes: input) == .failure(.invalidUTF8))
    }

    @Test("uniqueness is case-insensitive")
    func folding() {
        #expect(Names.foldForUniqueness("Alice") == Names.foldForUniqueness("ALICE"))
        #expect(Names.foldForUniqueness("Alice") == "alice")
        #expect(Names.foldForUniqueness("ÄRGER") == Names.foldForUniqueness("ärger"))
        #expect(Names.foldForUniqueness("Alice") != Names.foldForUniqueness("Alicia"))
        // Canonically equivalent spellings collide through String equality.
        #expect(Names.foldForUniqueness("É") == Names.foldForUniqueness("e\u{301}"))
        // Documented: lowercasing, not full case folding.
        #expect(Names.foldForUniqueness("STRASSE") != Names.foldForUniqueness("straße"))
    }

    @Test("folding is idempotent for every scalar (a fuzzing invariant)")
    func foldingIdempotent() {
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let once = Names.foldForUniqueness(String(scalar))
            if Names.foldForUniqueness(once) != once { Issue.record("U+\(String(value, radix: 16))") }
        }
    }

    @Test("room names: optional '#', same rules")
    func rooms() {
        #expect(Names.validateRoom("rust") == .success("rust"))
        #expect(Names.validateRoom("#rust") == .success("rust"))
        #expect(Names.validateRoom("#Rust") == .success("Rust"))
        #expect(Names.validateRoom("#") == .failure(.empty))
        #expect(Names.validateRoom("") == .failure(.empty))
        #expect(Names.validateRoom("##rust") == .failure(.reservedPrefix("#")))
        #expect(Names.validateRoom("*x") == .failure(.reservedPrefix("*")))
        #expect(Names.validateRoom("/x") == .failure(.reservedPrefix("/")))
        #expect(Names.validateRoom("# rust") == .failure(.whitespaceOrControl))
        #expect(Names.validateRoom("a room") == .failure(.whitespaceOrControl))
        let thirtyTwo = String(repeating: "r", count: 32)
        #expect(Names.validateRoom("#" + thirtyTwo) == .success(thirtyTwo))
        #expect(Names.validateRoom(thirtyTwo + "r") == .failure(.tooLong(33)))
        #expect(Names.validateRoom("#\u{301}x") == .success("\u{301}x"))
    }

    @Test("error texts")
    func descriptions() {
        #expect(NameError.empty.description == "username must be 1–32 bytes, got 0")
        #expect(NameError.tooLong(40).description(for: .room) == "room name must be 1–32 bytes, got 40")
        #expect(NameError.reservedPrefix("*").reason(for: .username) == "must not start with '*'")
        #expect(NameError.invalidUTF8.description == "username must be valid UTF-8")
        #expect(NameError.whitespaceOrControl.description.hasPrefix("username must not contain whitespace"))
    }
}
