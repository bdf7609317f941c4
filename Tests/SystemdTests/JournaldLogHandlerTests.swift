import Logging
import Testing

@testable import Systemd

/// What goes into sd_journal_sendv. That journald really stores these fields is checked
/// end to end in Tests/system/test-systemd.sh (`journalctl -o verbose`).
struct JournaldLogHandlerTests {
    @Test func priorities() {
        let expected: [(Logger.Level, Int)] = [
            (.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
        ]
        for (level, priority) in expected {
            #expect(JournaldLogHandler.priority(of: level) == priority)
        }
    }

    @Test func entryFields() {
        let fields = JournaldLogHandler.fields(
            level: .warning, message: "slow consumer\ndisconnected", identifier: "chatd", label: "chatd.room",
            metadata: ["room": "lobby", "chat.user": "ann", "peer": "127.0.0.1:5000"],
            file: "Room/Room.swift", function: "fanOut()", line: 42)
        #expect(fields == [
            "MESSAGE=slow consumer\ndisconnected",
            "PRIORITY=4",
            "SYSLOG_IDENTIFIER=chatd",
            "CODE_FILE=Room/Room.swift",
            "CODE_LINE=42",
            "CODE_FUNC=fanOut()",
            "CHAT_LOGGER=chatd.room",
            "CHAT_USER=ann",
            "CHAT_PEER=127.0.0.1:5000",
            "CHAT_ROOM=lobby",
        ])
    }

    @Test func metadataPrecedence() {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let event = LogEvent(
            level: .error, message: "m", error: Boom(),
            metadata: ["room": "call-site", "user": "ann"], source: nil, file: "f", function: "g", line: 1)
        let merged = mergedMetadata(handler: ["room": "handler", "peer": "p"], provider: nil, event: event)
        #expect(merged["room"] == "call-site")
        #expect(merged["peer"] == "p")
        #expect(merged["user"] == "ann")
        #expect(merged["error"] == "boom")
    }

    @Test func handlerMetadata() {
        var handler = JournaldLogHandler(label: "t", identifier: "chatd")
        handler[metadataKey: "room"] = "lobby"
        #expect(handler.metadata == ["room": "lobby"])
    }
}
