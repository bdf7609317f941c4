import IRCProtocol
import Testing

@Suite("IRC CHATHISTORY requests")
struct IRCChatHistoryRequestTests {
    typealias Request = IRCChatHistoryRequest

    static func parse(_ line: String) -> Result<Request, Request.Failure> {
        Request.parse(line.split(separator: " ").map(String.init))
    }

    static func failure(_ line: String) -> String? {
        if case .failure(let f) = parse(line) { return ([f.code] + f.context).joined(separator: " ") }
        return nil
    }

    @Test func timestampsRoundTripAndImpossibleDatesAreRefused() {
        for ms: Int64 in [0, 951_782_400_001, 1_709_251_199_999, 4_102_444_800_000, 1_764_547_200_123] {
            #expect(IRCServerTime.parse(IRCServerTime.format(millisecondsSince1970: ms)) == ms)
        }
        for bad in ["2023-02-29T00:00:00.000Z", "2024-13-01T00:00:00.000Z", "2024-01-01T24:00:00.000Z",
                    "2024-01-01T00:00:00Z", "2024-01-01 00:00:00.000Z", "1969-12-31T23:59:59.999Z", "2024-01-01T00:00:00.00aZ", ""] {
            #expect(IRCServerTime.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func everySubcommandParses() throws {
        #expect(try Self.parse("LATEST #rust * 50").get() == Request(.latest, target: "#rust", reference: .unbounded, limit: 50))
        #expect(try Self.parse("latest bob msgid=42 10").get() == Request(.latest, target: "bob", reference: .msgid("42"), limit: 10))
        #expect(try Self.parse("BEFORE #rust timestamp=2026-12-01T06:00:00.000Z 20").get()
                == Request(.before, target: "#rust", reference: .timestamp(1_796_104_800_000), limit: 20))
        #expect(try Self.parse("AFTER #rust msgid=7 5").get() == Request(.after, target: "#rust", reference: .msgid("7"), limit: 5))
        #expect(try Self.parse("AROUND #rust msgid=7 5").get() == Request(.around, target: "#rust", reference: .msgid("7"), limit: 5))
        #expect(try Self.parse("BETWEEN #rust msgid=9 timestamp=1970-01-01T00:00:01.000Z 3").get()
                == Request(.between, target: "#rust", reference: .msgid("9"), secondReference: .timestamp(1000), limit: 3))
    }

    /// The standard replies a bad request earns (IRCv3 chathistory "Errors").
    @Test func badRequestsGetTheSpecsFailCodes() {
        #expect(Self.failure("") == "NEED_MORE_PARAMS *")
        #expect(Self.failure("LATEST #rust *") == "NEED_MORE_PARAMS LATEST")
        #expect(Self.failure("BETWEEN #rust msgid=1 2") == "NEED_MORE_PARAMS BETWEEN")
        #expect(Self.failure("TARGETS timestamp=2026-12-01T06:00:00.000Z timestamp=2026-12-01T07:00:00.000Z 10") == "UNKNOWN_COMMAND TARGETS")
        #expect(Self.failure("FROBNICATE #rust * 1") == "UNKNOWN_COMMAND FROBNICATE")
        // `*` means "no bound" only for LATEST.
        #expect(Self.failure("BEFORE #rust * 10") == "INVALID_PARAMS BEFORE")
        #expect(Self.failure("BETWEEN #rust msgid=1 * 10") == "INVALID_PARAMS BETWEEN")
        for limit in ["0", "-1", "ten", "99999999999999999999"] {
            #expect(Self.failure("LATEST #rust * \(limit)") == "INVALID_PARAMS LATEST", "limit \(limit)")
        }
        for ref in ["msgid=", "id=5", "timestamp=yesterday", "5", "msgid=" + String(repeating: "1", count: 65)] {
            #expect(Self.failure("AFTER #rust \(ref) 10") == "INVALID_PARAMS AFTER", "reference \(ref)")
        }
        #expect(Self.failure("LATEST #rust * 10 extra") == "INVALID_PARAMS LATEST")
        let fail = Request.Failure("INVALID_TARGET", ["LATEST", "#x"], "Messages could not be retrieved").message(server: "irc.test")
        #expect(fail.command == "FAIL" && fail.params == ["CHATHISTORY", "INVALID_TARGET", "LATEST", "#x", "Messages could not be retrieved"])
    }
}
