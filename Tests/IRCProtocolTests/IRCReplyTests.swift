import IRCProtocol
import Testing

/// One test per numeric: the exact line, so a changed parameter layout fails here
/// (layouts: modern.ircdocs.horse, "Numerics").
@Suite("IRC numeric replies")
struct IRCReplyTests {
    let r = IRCReply(server: "chatd.test", client: "nick")
    let pre = IRCReply(server: "chatd.test")

    @Test func welcome001() { #expect(wire(r.welcome(network: "chatd", nick: "nick")) == ":chatd.test 001 nick :Welcome to the chatd Network, nick") }
    @Test func yourHost002() { #expect(wire(r.yourHost(version: "chatd-1.0")) == ":chatd.test 002 nick :Your host is chatd.test, running version chatd-1.0") }
    @Test func created003() { #expect(wire(r.created("2026-12-01")) == ":chatd.test 003 nick :This server was created 2026-12-01") }
    @Test func myInfo004() {
        #expect(wire(r.myInfo(version: "chatd-1.0", userModes: "i", channelModes: "nt")) == ":chatd.test 004 nick chatd.test chatd-1.0 i nt")
        #expect(wire(r.myInfo(version: "v", userModes: "i", channelModes: "klnt", channelModesWithParameter: "kl"))
            == ":chatd.test 004 nick chatd.test v i klnt kl")
    }

    @Test func isupport005() {
        let lines = r.isupport([IRCISupportToken("CASEMAPPING", "ascii"), IRCISupportToken("CHANTYPES", "#"), IRCISupportToken("UTF8ONLY")])
        #expect(lines.map { wire($0) } == [":chatd.test 005 nick CASEMAPPING=ascii CHANTYPES=# UTF8ONLY :are supported by this server"])
    }

    @Test("005 splits at 13 tokens and at 512 bytes, escapes values")
    func isupportSplitting() throws {
        let many = (1...30).map { IRCISupportToken("T\($0)", $0) }
        let lines = r.isupport(many)
        #expect(lines.map { $0.params.count - 2 } == [13, 13, 4])
        #expect(lines.allSatisfy { $0.params.first == "nick" && $0.params.last == "are supported by this server" })
        let long = (1...40).map { IRCISupportToken("LONG\($0)", String(repeating: "v", count: 30)) }
        for line in r.isupport(long) {
            #expect(try line.serialized().count <= 512)
        }
        #expect(r.isupport(long).flatMap { $0.params.dropFirst().dropLast() }.count == 40)
        #expect(IRCISupportToken("NETWORK", "a b=c\\").text == #"NETWORK=a\x20b\x3Dc\x5C"#)
        #expect(IRCISupportToken.negate("AWAYLEN").text == "-AWAYLEN")
        #expect(IRCISupportToken("EXCEPTS").text == "EXCEPTS")
    }

    @Test func userModeIs221() { #expect(wire(r.userModeIs("+i")) == ":chatd.test 221 nick +i") }
    @Test func lusers251to255() {
        #expect(wire(r.luserClient(users: 3, invisible: 0, servers: 1)) == ":chatd.test 251 nick :There are 3 users and 0 invisible on 1 servers")
        #expect(wire(r.luserOp(0)) == ":chatd.test 252 nick 0 :operator(s) online")
        #expect(wire(r.luserUnknown(2)) == ":chatd.test 253 nick 2 :unknown connection(s)")
        #expect(wire(r.luserChannels(4)) == ":chatd.test 254 nick 4 :channels formed")
        #expect(wire(r.luserMe(clients: 3, servers: 0)) == ":chatd.test 255 nick :I have 3 clients and 0 servers")
        #expect(wire(r.localUsers(current: 3, max: 9)) == ":chatd.test 265 nick 3 9 :Current local users 3, max 9")
        #expect(wire(r.globalUsers(current: 3, max: 9)) == ":chatd.test 266 nick 3 9 :Current global users 3, max 9")
    }

    @Test("375/372/376 for a MOTD, 422 without one")
    func motd() {
        #expect(r.motd("line one\r\n\nline three").map { wire($0) } == [
            ":chatd.test 375 nick :- chatd.test Message of the day - ",
            ":chatd.test 372 nick :- line one",
            ":chatd.test 372 nick :- ",
            ":chatd.test 372 nick :- line three",
            ":chatd.test 376 nick :End of /MOTD command.",
        ])
        #expect(r.motd(nil).map { wire($0) } == [":chatd.test 422 nick :MOTD File is missing"])
        #expect(r.motd("").map { wire($0) } == [":chatd.test 422 nick :MOTD File is missing"])
    }

    @Test func away301() { #expect(wire(r.away(nick: "bob", message: "at lunch")) == ":chatd.test 301 nick bob :at lunch") }
    @Test func userHost302() { #expect(wire(r.userHost(["bob=+b@framed", "eve*=-e@h"])) == ":chatd.test 302 nick :bob=+b@framed eve*=-e@h") }
    @Test func isOn303() {
        #expect(wire(r.isOn(["bob", "eve"])) == ":chatd.test 303 nick :bob eve")
        #expect(wire(r.isOn([])) == ":chatd.test 303 nick :")
    }
    @Test func unaway305() { #expect(wire(r.unaway()) == ":chatd.test 305 nick :You are no longer marked as being away") }
    @Test func nowAway306() { #expect(wire(r.nowAway()) == ":chatd.test 306 nick :You have been marked as being away") }
    @Test func whoisUser311() { #expect(wire(r.whoisUser(nick: "bob", user: "b", host: "framed", realname: "Bob B")) == ":chatd.test 311 nick bob b framed * :Bob B") }
    @Test func whoisServer312() { #expect(wire(r.whoisServer(nick: "bob", server: "chatd.test", info: "chatd")) == ":chatd.test 312 nick bob chatd.test chatd") }
    @Test func whoisIdle317() { #expect(wire(r.whoisIdle(nick: "bob", idleSeconds: 5, signon: 1700000000)) == ":chatd.test 317 nick bob 5 1700000000 :seconds idle, signon time") }
    @Test func endOfWhois318() { #expect(wire(r.endOfWhois(nick: "Bob,eve")) == ":chatd.test 318 nick Bob,eve :End of /WHOIS list") }
    @Test func whoisChannels319() throws {
        #expect(r.whoisChannels(nick: "bob", channels: ["@#a", "#b"]).map { wire($0) } == [":chatd.test 319 nick bob :@#a #b"])
        let many = (1...100).map { "#channel-number-\($0)" }
        let lines = r.whoisChannels(nick: "bob", channels: many)
        #expect(lines.count > 1)
        #expect(lines.flatMap { $0.params[2].split(separator: " ").map(String.init) } == many)
        for line in lines { #expect(try line.serialized().count <= 512) }
    }
    @Test func endOfWho315() { #expect(wire(r.endOfWho(mask: "#a")) == ":chatd.test 315 nick #a :End of WHO list") }
    @Test func whoReply352() {
        #expect(wire(r.whoReply(channel: "#a", user: "b", host: "framed", server: "chatd.test", nick: "bob", flags: "H@", realname: "Bob"))
            == ":chatd.test 352 nick #a b framed chatd.test bob H@ :0 Bob")
    }
    @Test func list321to323() {
        #expect(wire(r.listStart()) == ":chatd.test 321 nick Channel :Users  Name")
        #expect(wire(r.list(channel: "#a", count: 3, topic: "the topic")) == ":chatd.test 322 nick #a 3 :the topic")
        #expect(wire(r.list(channel: "#a", count: 3, topic: "")) == ":chatd.test 322 nick #a 3 :")
        #expect(wire(r.listEnd()) == ":chatd.test 323 nick :End of /LIST")
    }
    @Test func channelModeIs324() {
        #expect(wire(r.channelModeIs(channel: "#a", modes: "+nt")) == ":chatd.test 324 nick #a +nt")
        #expect(wire(r.channelModeIs(channel: "#a", modes: "+ntl", arguments: ["50"])) == ":chatd.test 324 nick #a +ntl 50")
    }
    @Test func creationTime329() { #expect(wire(r.creationTime(channel: "#a", created: 1700000000)) == ":chatd.test 329 nick #a 1700000000") }
    @Test func noTopic331() { #expect(wire(r.noTopic(channel: "#a")) == ":chatd.test 331 nick #a :No topic is set") }
    @Test func topic332() { #expect(wire(r.topic(channel: "#a", topic: "hello")) == ":chatd.test 332 nick #a hello") }
    @Test func topicWhoTime333() { #expect(wire(r.topicWhoTime(channel: "#a", setter: "bob", setAt: 1700000000)) == ":chatd.test 333 nick #a bob 1700000000") }
    @Test func names353() throws {
        #expect(r.namesReply(channel: "#a", names: ["@alice", "bob"]).map { wire($0) } == [":chatd.test 353 nick = #a :@alice bob"])
        #expect(r.namesReply(channel: "#a", symbol: .secret, names: ["x"]).map { wire($0) } == [":chatd.test 353 nick @ #a x"])
        let many = (1...200).map { "user\($0)" }
        let lines = r.namesReply(channel: "#a", names: many)
        #expect(lines.count > 1)
        #expect(lines.flatMap { $0.params[3].split(separator: " ").map(String.init) } == many)
        for line in lines { #expect(try line.serialized().count <= 512) }
    }
    @Test func endOfNames366() { #expect(wire(r.endOfNames(channel: "#a")) == ":chatd.test 366 nick #a :End of /NAMES list") }
    @Test func banList367and368() {
        #expect(wire(r.banList(channel: "#a", mask: "*!*@x")) == ":chatd.test 367 nick #a *!*@x")
        #expect(wire(r.banList(channel: "#a", mask: "*!*@x", setter: "op", setAt: 5)) == ":chatd.test 367 nick #a *!*@x op 5")
        #expect(wire(r.endOfBanList(channel: "#a")) == ":chatd.test 368 nick #a :End of channel ban list")
    }

    @Test func noSuchNick401() { #expect(wire(r.noSuchNick("bob")) == ":chatd.test 401 nick bob :No such nick/channel") }
    @Test func noSuchChannel403() { #expect(wire(r.noSuchChannel("#x")) == ":chatd.test 403 nick #x :No such channel") }
    @Test func cannotSend404() { #expect(wire(r.cannotSendToChannel("#x")) == ":chatd.test 404 nick #x :Cannot send to channel") }
    @Test func tooManyChannels405() { #expect(wire(r.tooManyChannels("#x")) == ":chatd.test 405 nick #x :You have joined too many channels") }
    @Test func wasNoSuchNick406() { #expect(wire(r.wasNoSuchNick()) == ":chatd.test 406 nick :There was no such nickname") }
    @Test func noOrigin409() { #expect(wire(r.noOrigin()) == ":chatd.test 409 nick :No origin specified") }
    @Test func invalidCap410() { #expect(wire(pre.invalidCapCommand("FOO")) == ":chatd.test 410 * FOO :Invalid CAP command") }
    @Test func noRecipient411() { #expect(wire(r.noRecipient(command: "PRIVMSG")) == ":chatd.test 411 nick :No recipient given (PRIVMSG)") }
    @Test func noText412() { #expect(wire(r.noTextToSend()) == ":chatd.test 412 nick :No text to send") }
    @Test func inputTooLong417() { #expect(wire(r.inputTooLong()) == ":chatd.test 417 nick :Input line was too long") }
    @Test func unknownCommand421() { #expect(wire(r.unknownCommand("FOO")) == ":chatd.test 421 nick FOO :Unknown command") }
    @Test func noNickGiven431() { #expect(wire(pre.noNicknameGiven()) == ":chatd.test 431 * :No nickname given") }
    @Test func erroneousNick432() {
        #expect(wire(pre.erroneousNickname("9lives")) == ":chatd.test 432 * 9lives :Erroneus nickname")
        // Client words that cannot be a middle parameter are replaced by '*' so the reply
        // can always be written.
        #expect(wire(pre.erroneousNickname("a b")) == ":chatd.test 432 * * :Erroneus nickname")
        #expect(wire(pre.erroneousNickname(":x")) == ":chatd.test 432 * * :Erroneus nickname")
        #expect(wire(pre.erroneousNickname("")) == ":chatd.test 432 * * :Erroneus nickname")
    }
    @Test func nickInUse433() { #expect(wire(pre.nicknameInUse("bob")) == ":chatd.test 433 * bob :Nickname is already in use") }
    @Test func nickCollision436() { #expect(wire(r.nickCollision("bob", user: "u", host: "h")) == ":chatd.test 436 nick bob :Nickname collision KILL from u@h") }
    @Test func userNotInChannel441() { #expect(wire(r.userNotInChannel(nick: "bob", channel: "#a")) == ":chatd.test 441 nick bob #a :They aren't on that channel") }
    @Test func notOnChannel442() { #expect(wire(r.notOnChannel("#a")) == ":chatd.test 442 nick #a :You're not on that channel") }
    @Test func notRegistered451() { #expect(wire(pre.notRegistered()) == ":chatd.test 451 * :You have not registered") }
    @Test func needMoreParams461() { #expect(wire(r.needMoreParams("JOIN")) == ":chatd.test 461 nick JOIN :Not enough parameters") }
    @Test func alreadyRegistered462() { #expect(wire(r.alreadyRegistered()) == ":chatd.test 462 nick :You may not reregister") }
    @Test func passwordMismatch464() { #expect(wire(pre.passwordMismatch()) == ":chatd.test 464 * :Password incorrect") }
    @Test func joinErrors471to476() {
        #expect(wire(r.channelIsFull("#a")) == ":chatd.test 471 nick #a :Cannot join channel (+l)")
        #expect(wire(r.unknownMode("x")) == ":chatd.test 472 nick x :is unknown mode char to me")
        #expect(wire(r.inviteOnlyChannel("#a")) == ":chatd.test 473 nick #a :Cannot join channel (+i)")
        #expect(wire(r.bannedFromChannel("#a")) == ":chatd.test 474 nick #a :Cannot join channel (+b)")
        #expect(wire(r.badChannelKey("#a")) == ":chatd.test 475 nick #a :Cannot join channel (+k)")
        #expect(wire(r.badChannelMask("a")) == ":chatd.test 476 nick a :Bad Channel Mask")
    }
    @Test func noChannelModes477() { #expect(wire(r.noChannelModes("#a")) == ":chatd.test 477 nick #a :Channel doesn't support modes") }
    @Test func chanOpNeeded482() { #expect(wire(r.channelOperatorPrivilegesNeeded("#a")) == ":chatd.test 482 nick #a :You're not channel operator") }
    @Test func umodeUnknown501() { #expect(wire(r.unknownModeFlag()) == ":chatd.test 501 nick :Unknown MODE flag") }
    @Test func usersDontMatch502() { #expect(wire(r.usersDontMatch()) == ":chatd.test 502 nick :Cant change mode for other users") }

    @Test("PONG puts the server first and the token last; ERROR has no source; NOTICE targets the client")
    func serverMessages() {
        #expect(wire(r.pong(token: "LAG123")) == ":chatd.test PONG chatd.test LAG123")
        #expect(wire(r.pong(token: "a b")) == ":chatd.test PONG chatd.test :a b")
        #expect(wire(r.error("Closing Link: nick (Quit: bye)")) == "ERROR :Closing Link: nick (Quit: bye)")
        #expect(wire(pre.notice("*** Looking up your hostname")) == ":chatd.test NOTICE * :*** Looking up your hostname")
    }
}

@Suite("IRC replies echoing long client input")
struct IRCReplyFittingTests {
    let r = IRCReply(server: "chatd.test", client: "nick")

    @Test("a long text parameter is cut at a UTF-8 boundary so the line fits 512 bytes")
    func longText() throws {
        let reason = String(repeating: "é", count: 300)
        let error = r.error("Closing Link: nick (Quit: \(reason))")
        let line = try error.serialized()
        #expect(line.count <= 512 && line.count > 500)
        #expect(error.params[0].hasPrefix("Closing Link: nick (Quit: éé"))
        let pong = try r.pong(token: String(repeating: "t", count: 505)).serialized()
        #expect(pong.count <= 512 && pong.count >= 510)
    }

    @Test("over-long echoed words become '*' when cutting the text is not enough")
    func longWords() throws {
        let command = String(repeating: "X", count: 505)
        let reply = r.unknownCommand(command)
        #expect(reply.params == ["nick", "*", "Unknown command"])
        let whois = r.endOfWhois(nick: String(repeating: "a,", count: 250))
        #expect(try whois.serialized().count <= 512)
    }

    @Test("short replies are untouched")
    func untouched() {
        #expect(IRCReply.fitted(r.noSuchNick("bob")) == r.noSuchNick("bob"))
    }
}
