/// Where a server's certificate and key live: PEM files, the certificate file holding the leaf
/// first and then any intermediates (SSL_CTX_use_certificate_chain_file(3)).
public struct TLSCredentials: Sendable, Equatable {
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}
