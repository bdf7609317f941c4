// How a swift-log metadata key becomes a journal field name.
//
// systemd.journal-fields(7) / sd_journal_print(3): a field name consists of uppercase
// ASCII letters, digits and underscores, must not start with a digit, and names starting
// with '_' are "trusted" fields that only journald itself may set (it drops such fields from
// clients). journald also rejects names longer than 64 bytes. chatd's own fields all live in
// the CHAT_ namespace so they can never collide with systemd's (MESSAGE, PRIORITY, …):
// `journalctl -u chatd CHAT_ROOM=lobby` filters on them.

public enum JournalFieldName {
    /// journald's limit on a field name's length (journal_field_valid() in systemd's
    /// sources refuses longer names, and journald drops such fields).
    public static let maximumLength = 64

    static let prefix = "CHAT_"

    /// Maps a metadata key to a valid, CHAT_-prefixed field name: upper-case it, turn every
    /// character outside [A-Z0-9_] into '_', and prefix CHAT_ unless it already starts with
    /// CHAT_. "room" → CHAT_ROOM, "chat.room" → CHAT_ROOM, "peer-addr" → CHAT_PEER_ADDR,
    /// "_x" → CHAT__X, "2fa" → CHAT_2FA. Because of the prefix the result never starts with
    /// '_' or a digit. Longer results are cut to 64 bytes.
    public static func forMetadataKey(_ key: String) -> String {
        var name: [UInt8] = []
        name.reserveCapacity(key.utf8.count + prefix.utf8.count)
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): name.append(byte - 32)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
                name.append(byte)
            default:
                // Multi-byte UTF-8 characters become one '_' per byte; that keeps the rule
                // byte-simple and still yields a valid name.
                name.append(UInt8(ascii: "_"))
            }
        }
        if !name.starts(with: prefix.utf8) { name.insert(contentsOf: prefix.utf8, at: 0) }
        if name.count > maximumLength { name.removeLast(name.count - maximumLength) }
        return String(decoding: name, as: UTF8.self)
    }
}
