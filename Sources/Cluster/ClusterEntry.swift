/// One entry of a room's stream (and its pub/sub message): a chatd event, or the removal of a
/// member whose node stopped refreshing its presence — written by the Lua reaper
/// (`ClusterScripts.reap`), which cannot build a `RelayedEvent`, so it writes
///
///     "g1" <member key>
///
/// (`ClusterKeys.member`); each node turns it into a quit of the member it knew by that key.
public enum ClusterEntry: Equatable, Sendable {
    case event(RelayedEvent)
    case gone(member: String)

    static let goneMagic: [UInt8] = Array("g1".utf8)

    public init(decoding bytes: some Collection<UInt8>) throws(RelayedEvent.DecodeError) {
        if bytes.starts(with: Self.goneMagic) {
            guard let member = String(validating: bytes.dropFirst(2), as: UTF8.self), ClusterKeys.isMember(member) else {
                throw .invalidUTF8
            }
            self = .gone(member: member)
        } else {
            self = .event(try RelayedEvent(decoding: bytes))
        }
    }
}
