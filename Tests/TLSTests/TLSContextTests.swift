import COpenSSL
import EventLoop
import Glibc
import TLS
import Testing

/// Loading, checking and reloading certificates.
@Suite("TLSContext")
struct TLSContextTests {
    @Test func policyIsTLS12MinimumWithKTLSRequested() throws {
        let ctx = try TLSContext(credentials: try TestCertificates.valid("policy"))
        #expect(ctx.minimumProtocolVersion == Int(TLS1_2_VERSION))
        #expect(ctx.requestsKernelTLS)
        #expect(ctx.subject.contains("O=policy"))
    }

    @Test func anExpiredCertificateIsRefusedWithItsDate() throws {
        let creds = try TestCertificates.expired("old")
        #expect {
            try TLSContext(credentials: creds)
        } throws: { error in
            let text = "\(error)"
            return text.contains("expired on 2020-01-02 00:00:00 UTC") && text.contains(creds.certificateChainPath)
        }
    }

    @Test func aCertificateNotYetValidIsRefused() throws {
        let creds = try TestCertificates.valid("future")
        let lastYear = time(nil) - 365 * 86400
        #expect {
            try TLSContext(credentials: creds, now: lastYear)
        } throws: { "\($0)".contains("is not valid before") }
    }

    @Test func badFilesGiveErrorsNamingTheFile() throws {
        let good = try TestCertificates.valid("files")
        let other = try TestCertificates.valid("files-other")
        let dir = TempDirectory.shared.root
        try TestCertificates.write("this is not PEM\n", to: "\(dir)/garbage.pem")
        let cases: [(TLSCredentials, [String])] = [
            (TLSCredentials(certificateChainPath: "\(dir)/missing.crt", privateKeyPath: good.privateKeyPath),
             ["cannot load certificate chain", "missing.crt"]),
            (TLSCredentials(certificateChainPath: "\(dir)/garbage.pem", privateKeyPath: good.privateKeyPath),
             ["cannot load certificate chain", "garbage.pem"]),
            (TLSCredentials(certificateChainPath: good.certificateChainPath, privateKeyPath: "\(dir)/missing.key"),
             ["cannot load private key", "missing.key"]),
            (TLSCredentials(certificateChainPath: good.certificateChainPath, privateKeyPath: other.privateKeyPath),
             ["does not match certificate"]),
        ]
        for (creds, words) in cases {
            #expect {
                try TLSContext(credentials: creds)
            } throws: { error in
                words.allSatisfy { "\(error)".contains($0) }
            }
        }
    }

    /// A reload swaps the context for new connections only; one that fails (an expired
    /// certificate written over the good one) keeps the previous context serving.
    @Test func reloadSwapsOnlyOnSuccessAndOpenConnectionsKeepTheirs() throws {
        let dir = TempDirectory.shared.root
        let live = TLSCredentials(certificateChainPath: "\(dir)/live.crt", privateKeyPath: "\(dir)/live.key")
        func install(_ c: TLSCredentials) throws {
            try TestCertificates.write(try readFile(c.certificateChainPath), to: live.certificateChainPath)
            try TestCertificates.write(try readFile(c.privateKeyPath), to: live.privateKeyPath)
        }
        try install(try TestCertificates.valid("first"))
        let reloadable = try ReloadableTLSContext(credentials: live)
        let first = reloadable.current
        let open = try TLSPair(context: first)
        try open.handshake()
        #expect(open.client.peerSubject.contains("O=first"))

        try install(try TestCertificates.expired("reload-expired"))
        #expect { try reloadable.reload() } throws: { "\($0)".contains("expired on") }
        #expect(reloadable.current === first)

        try install(try TestCertificates.valid("second"))
        let second = try reloadable.reload()
        #expect(reloadable.current === second)
        let fresh = try TLSPair(context: reloadable.current)
        try fresh.handshake()
        #expect(fresh.client.peerSubject.contains("O=second"))

        // The connection accepted before the reloads still works on its own context.
        try open.client.writeAll(Array("still here".utf8))
        var got: [UInt8] = []
        #expect(waitUntil { got += open.serverReadAll().bytes; return got.count == 10 })
        #expect(String(decoding: got, as: UTF8.self) == "still here")
    }
}
