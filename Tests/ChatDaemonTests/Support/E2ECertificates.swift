import Glibc
import Synchronization
import TLS

/// Self-signed certificates for the TLS end-to-end tests, made with the `openssl` command
/// (scripts/setup.sh installs it) into a fresh temporary directory: CN=localhost, SAN localhost
/// and 127.0.0.1, `O=<name>` so a test can tell which certificate the daemon presented.
enum E2ECertificates {
    private static let directory: String = {
        var template = Array("/tmp/chatd-e2e-tls-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }()
    private static let made = Mutex<[String: TLSCredentials]>([:])

    static func make(_ name: String) throws -> TLSCredentials {
        try made.withLock { cache throws -> TLSCredentials in
            if let c = cache[name] { return c }
            let c = TLSCredentials(certificateChainPath: "\(directory)/\(name).crt", privateKeyPath: "\(directory)/\(name).key")
            let status = run([
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-days", "2", "-subj", "/CN=localhost/O=\(name)", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", c.privateKeyPath, "-out", c.certificateChainPath,
            ])
            guard status == 0 else { throw E2EError("openssl req for \(name) exited \(status)") }
            cache[name] = c
            return c
        }
    }

    /// A file path in the same directory (for a "live" certificate a test overwrites).
    static func path(_ file: String) -> String { "\(directory)/\(file)" }

    /// Copies a certificate and key over `target` (what renewing in place does).
    static func install(_ source: TLSCredentials, as target: TLSCredentials) throws {
        for (from, to) in [(source.certificateChainPath, target.certificateChainPath), (source.privateKeyPath, target.privateKeyPath)] {
            guard run(["cp", from, to]) == 0 else { throw E2EError("cp \(from) \(to) failed") }
        }
    }

    /// Runs a command (output discarded); its wait status.
    @discardableResult
    static func run(_ argv: [String]) -> Int32 {
        var pid: pid_t = 0
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cargs { free(p) } }
        guard posix_spawnp(&pid, argv[0], &actions, nil, &cargs, environ) == 0 else { return -1 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return status
    }
}
