import Testing

@testable import Systemd

struct JournalFieldNameTests {
    @Test(arguments: [
        ("room", "CHAT_ROOM"),
        ("chat.room", "CHAT_ROOM"),
        ("CHAT_USER", "CHAT_USER"),
        ("user", "CHAT_USER"),
        ("peer", "CHAT_PEER"),
        ("peer-addr", "CHAT_PEER_ADDR"),
        ("fd.name", "CHAT_FD_NAME"),
        ("_x", "CHAT__X"),
        ("2fa", "CHAT_2FA"),
        ("chat", "CHAT_CHAT"),
        ("chatroom", "CHAT_CHATROOM"),
        ("", "CHAT_"),
        ("über", "CHAT___BER"),  // 'ü' is two UTF-8 bytes
        ("a b=c", "CHAT_A_B_C"),
    ])
    func mapping(key: String, field: String) {
        #expect(JournalFieldName.forMetadataKey(key) == field)
        #expect(JournaldLogHandler.fieldName(forMetadataKey: key) == field)
    }

    /// Every mapped name is one journald accepts: [A-Z0-9_], not starting with '_' or a digit,
    /// at most 64 bytes (systemd.journal-fields(7)).
    @Test(arguments: ["", "x", "_", "9", "..", String(repeating: "k", count: 200), "chat_" + String(repeating: "é", count: 40)])
    func alwaysValid(key: String) {
        let name = JournalFieldName.forMetadataKey(key)
        #expect(name.utf8.count <= 64)
        #expect(name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 })
        let first = name.utf8.first!
        #expect(first != UInt8(ascii: "_") && !(first >= 48 && first <= 57))
    }
}
