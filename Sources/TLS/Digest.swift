import COpenSSL

/// Message digests from libcrypto, for the protocols that need one outside TLS itself (the
/// WebSocket handshake's `Sec-WebSocket-Accept`, RFC 6455 §4.2.2). Kept here because this is
/// the module that links OpenSSL; it knows nothing of the protocols that call it.
public enum Digest {
    /// SHA-1 (EVP_Digest(3) with EVP_sha1(); the one-shot SHA1() is deprecated in OpenSSL 3).
    public static func sha1(_ input: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { bytes in
            EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, EVP_sha1(), nil)
        }
        // Only an allocation failure inside libcrypto can make a one-shot digest fail.
        precondition(ok == 1, "EVP_Digest(SHA-1) failed")
        return Array(digest.prefix(Int(length)))
    }
}
