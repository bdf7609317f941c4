/// Constants of the seed's "framed" wire format (DESIGN.md §2): a 10-byte ASCII decimal
/// length header, then that many payload bytes.
public enum Framing {
    public static let headerLength = 10

    /// The largest length a 10-byte decimal header can carry.
    public static let maxEncodablePayload = Int(clamping: 9_999_999_999 as Int64)

    /// DESIGN.md §4 `--max-message-bytes` default.
    public static let defaultMaxPayload = 65536
}
