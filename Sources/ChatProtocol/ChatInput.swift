/// One message payload from a client, classified (DESIGN.md §2 slash commands).
public enum ChatInput: Equatable, Sendable {
    /// Plain text to relay; "//text" arrives here as "/text".
    case message(String)
    /// Validated room name, without a leading '#', and the key of a `+k` room.
    case join(room: String, key: String? = nil)
    case leave, rooms, who, help, quit
    /// Present but not validated: the daemon checks it with `Names` so that it can also
    /// report "name taken".
    case nick(String)
    case privateMessage(to: String, text: String)
    case me(String)
    /// `/history [N]` (the newest N of the room), `/history before SEQ [N]` (the N before
    /// sequence number SEQ); nil = the daemon's default page. N ≥ 1, SEQ ≥ 1.
    case history(before: UInt64?, limit: Int?)
    /// `/history @NAME [N]`, `/history @NAME before SEQ [N]`: the same pages of the private
    /// conversation with NAME (non-empty, not validated: the daemon checks it).
    case privateHistory(with: String, before: UInt64?, limit: Int?)
    /// `/register PASSWORD`, `/login PASSWORD` (AccountCommand).
    case account(AccountCommand)
    /// Room moderation and server administration (`ModerationCommand`).
    case moderation(ModerationCommand)
    /// The text of the `* error: …` reply.
    case invalid(String)
}
