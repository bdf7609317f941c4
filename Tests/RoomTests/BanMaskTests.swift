import Room
import Testing

@Suite("Ban masks: nick globs, accounts, IPv4 and IPv6 CIDR")
struct BanMaskTests {
    func mask(_ text: String) -> BanMask {
        guard case .success(let m) = BanMask.parse(text) else { Issue.record("\(text) refused"); return .nick("") }
        return m
    }

    func matches(_ m: String, nick: String = "someone", account: String? = nil, address: String = "192.0.2.9") -> Bool {
        MemberIdentity(nick: nick, account: account, address: address).matched(by: mask(m))
    }

    @Test func nickGlobsAreCaseInsensitive() {
        #expect(matches("Spammer", nick: "spammer"))
        #expect(matches("spam*", nick: "SpamBot99"))
        #expect(matches("sp?m", nick: "spam") && !matches("sp?m", nick: "spaam"))
        #expect(matches("*bot*!*@*", nick: "a-bot-b"))
        #expect(!matches("spam*", nick: "eggs"))
        #expect(mask("Bob").description == "bob!*@*")
        #expect(mask("bob!*@*") == mask("bob"))
    }

    @Test func accountsMatchOnlyThatAccount() {
        #expect(matches("~a:Eve", account: "eve"))
        #expect(!matches("~a:eve", nick: "eve"))  // a guest called eve is not the account eve
        #expect(!matches("~a:eve", account: "evelyn"))
        #expect(mask("~a:EVE").description == "~a:eve")
    }

    @Test func ipv4AddressesAndNetworks() {
        #expect(matches("192.0.2.9"))
        #expect(!matches("192.0.2.10"))
        #expect(matches("192.0.2.0/24") && matches("192.0.0.0/16"))
        #expect(!matches("198.51.100.0/24"))
        #expect(matches("0.0.0.0/0"))
        #expect(matches("*!*@192.0.2.0/24"))
        // Normalized: host bits dropped.
        #expect(mask("192.0.2.77/24").description == "192.0.2.0/24")
        // An IPv4 client on a dual-stack (IPv4-mapped) socket is the same client.
        #expect(matches("192.0.2.0/24", address: "::ffff:192.0.2.9"))
    }

    @Test func ipv6AddressesAndNetworks() {
        #expect(matches("2001:db8::/32", address: "2001:db8:1::5"))
        #expect(!matches("2001:db8::/32", address: "2001:db9::5"))
        #expect(matches("::1", address: "::1"))
        #expect(!matches("2001:db8::/32", address: "192.0.2.9"))
        #expect(!matches("192.0.2.0/24", address: "2001:db8::1"))
        #expect(mask("2001:DB8:0:0:1::/64").description == "2001:db8::/64")
        #expect(matches("*!*@2001:db8::/48", address: "2001:db8::abcd"))
    }

    @Test(arguments: [
        "", "a b", "~a:", "~a:x*", "1.2.3.4/33", "::/129", "bob!x", "nick!*@host", "a@b",
        String(repeating: "x", count: 101), "*!bob@1.2.3.4", "1.2.3.4/", "1.2.3.4/-1",
    ])
    func refused(_ text: String) {
        if case .success(let m) = BanMask.parse(text) {
            // `nick!*@host` with a non-address host keeps only the nick part: allowed.
            #expect(text == "nick!*@host", "\(text) accepted as \(m)")
        }
    }

    @Test func nonAddressClientsMatchNoAddressBan() {
        #expect(!matches("0.0.0.0/0", address: "unix"))
    }
}
