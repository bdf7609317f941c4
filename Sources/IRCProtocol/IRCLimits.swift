/// Line size limits. Modern IRC "Message Format": a message is at most 512 bytes including
/// the trailing CR LF; IRCv3 message-tags ("Size limit") adds up to 8191 bytes of tag data,
/// counting the leading '@' and the space that ends the tag section.
public enum IRCLimits {
    /// Bytes of the message after the tag section, without the line ending (512 - CR LF).
    public static let maxBodyBytes = 510
    /// Bytes of the tag section, '@' and trailing space included (what servers may send).
    public static let maxTagBytes = 8191
}
