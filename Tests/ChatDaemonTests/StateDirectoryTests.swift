@testable import ChatDaemon
import Testing

@Suite struct StateDirectoryTests {
    @Test func flagWinsThenSystemdThenPerUser() {
        let env = ["STATE_DIRECTORY": "/var/lib/chatd:/var/lib/other", "XDG_STATE_HOME": "/home/u/.state", "HOME": "/home/u"]
        #expect(StateDirectory.resolve(flag: "/srv/chat", environment: env)! == ("/srv/chat", .flag))
        #expect(StateDirectory.resolve(flag: nil, environment: env)! == ("/var/lib/chatd", .systemd))
        #expect(StateDirectory.resolve(flag: "", environment: env)! == ("/var/lib/chatd", .systemd))
        #expect(StateDirectory.resolve(flag: nil, environment: ["XDG_STATE_HOME": "/home/u/.state", "HOME": "/home/u"])!
                == ("/home/u/.state/chatd", .user))
        #expect(StateDirectory.resolve(flag: nil, environment: ["HOME": "/home/u"])! == ("/home/u/.local/state/chatd", .user))
        // Relative values are not directories systemd or XDG would hand out: ignored.
        #expect(StateDirectory.resolve(flag: nil, environment: ["STATE_DIRECTORY": "rel", "XDG_STATE_HOME": "x", "HOME": "/h"])!
                == ("/h/.local/state/chatd", .user))
        #expect(StateDirectory.resolve(flag: nil, environment: [:]) == nil)
    }
}
