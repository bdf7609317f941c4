import EventLoop
import Glibc
import TLS

/// One mkdtemp directory per test process for certificates and logs (removed by the OS's tmp
/// cleaning, never shared between runs).
final class TempDirectory: Sendable {
    static let shared = TempDirectory()
    let root: String

    private init() {
        var template = Array("/tmp/chatd-tls-tests-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "mkdtemp failed")
        root = String(cString: p!)
    }

    func path(_ name: String) throws -> String { "\(root)/\(name)" }
}

/// Certificates made by the test with the `openssl` command (scripts/setup.sh installs it):
/// self-signed P-256 leaf certificates for CN=localhost, SAN localhost and 127.0.0.1, usable as
/// their own CA by the clients.
enum TestCertificates {
    /// A currently valid certificate named `name` (a distinct subject per name, so a test can
    /// tell which certificate a server presented).
    static func valid(_ name: String) throws -> TLSCredentials {
        try made.withLock { _ throws in try makeValid(name) }
    }

    static func expired(_ name: String) throws -> TLSCredentials {
        try made.withLock { _ throws in try makeExpired(name) }
    }

    /// Tests run in parallel: certificate creation is serialised so two tests asking for the
    /// same name never race on the files.
    private static let made = Locked(())

    private static func makeValid(_ name: String) throws -> TLSCredentials {
        let dir = TempDirectory.shared.root
        let creds = TLSCredentials(certificateChainPath: "\(dir)/\(name).crt", privateKeyPath: "\(dir)/\(name).key")
        if access(creds.certificateChainPath, R_OK) == 0 { return creds }
        let r = try Subprocess.run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "2", "-subj", "/CN=localhost/O=\(name)",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", creds.privateKeyPath, "-out", creds.certificateChainPath,
        ])
        guard r.succeeded else { throw TestFailure("openssl req failed: \(r.output)") }
        return creds
    }

    /// A certificate that expired on 2020-01-02: `openssl req` cannot back-date, `openssl ca`
    /// takes explicit -startdate/-enddate.
    private static func makeExpired(_ name: String) throws -> TLSCredentials {
        let dir = "\(TempDirectory.shared.root)/ca-\(name)"
        let creds = TLSCredentials(certificateChainPath: "\(dir)/cert.pem", privateKeyPath: "\(dir)/key.pem")
        if access(creds.certificateChainPath, R_OK) == 0 { return creds }
        mkdir(dir, 0o700)
        let config = """
            [ca]
            default_ca = d
            [d]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)
            serial = \(dir)/serial
            default_md = sha256
            policy = p
            copy_extensions = copy
            [p]
            commonName = supplied
            organizationName = optional
            """
        try write(config + "\n", to: "\(dir)/ca.cnf")
        try write("", to: "\(dir)/index.txt")
        try write("01\n", to: "\(dir)/serial")
        let req = try Subprocess.run([
            "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=localhost/O=\(name)", "-keyout", creds.privateKeyPath, "-out", "\(dir)/req.csr",
        ])
        guard req.succeeded else { throw TestFailure("openssl req failed: \(req.output)") }
        let sign = try Subprocess.run([
            "openssl", "ca", "-batch", "-notext", "-config", "\(dir)/ca.cnf", "-selfsign",
            "-keyfile", creds.privateKeyPath, "-in", "\(dir)/req.csr", "-out", creds.certificateChainPath,
            "-startdate", "20200101000000Z", "-enddate", "20200102000000Z",
        ])
        guard sign.succeeded else { throw TestFailure("openssl ca failed: \(sign.output)") }
        return creds
    }

    static func write(_ text: String, to path: String) throws {
        guard let f = fopen(path, "w") else { throw TestFailure("cannot write \(path)") }
        defer { fclose(f) }
        fputs(text, f)
    }
}
