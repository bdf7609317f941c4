// libFuzzer harness for ProtocolFuzzing.fuzzModeration (the moderation command and mode-string
// parsers): compiled together with Sources/ChatProtocol/*.swift by Fuzz/build.sh.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    ProtocolFuzzing.fuzzModeration(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
