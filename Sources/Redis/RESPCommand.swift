import CHiredis

/// A command in RESP2's binary-safe array form, formatted by hiredis's `redisFormatCommandArgv`
/// (the formatter hiredis's own clients use; no hand-written encoder to keep in step).
public enum RESPCommand {
    public static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var lengths = arguments.map(\.count)
        // Keep each argument's storage alive and pinned while hiredis reads it.
        let pointers = arguments.map { arg -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, arg.count))
            arg.withUnsafeBytes { UnsafeMutableRawPointer(p).copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(p), byteCount: arg.count) }
            return p
        }
        defer { for p in pointers { p.deallocate() } }
        var argv = pointers.map { UnsafePointer<CChar>?(UnsafePointer($0)) }
        var target: UnsafeMutablePointer<CChar>?
        let n = argv.withUnsafeMutableBufferPointer { av in
            lengths.withUnsafeMutableBufferPointer { lens in
                redisFormatCommandArgv(&target, CInt(arguments.count), av.baseAddress, lens.baseAddress)
            }
        }
        guard n >= 0, let target else { fatalError("redisFormatCommandArgv: out of memory") }
        defer { redisFreeCommand(target) }
        return Array(UnsafeRawBufferPointer(start: target, count: Int(n)))
    }

    /// Text arguments (command names, keys, numbers); binary payloads use `encode(_:)`.
    public static func encode(_ arguments: [String]) -> [UInt8] {
        encode(arguments.map { Array($0.utf8) })
    }
}
